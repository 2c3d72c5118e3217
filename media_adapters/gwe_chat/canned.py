"""Canned responses: the replies an agent inserts with / in the composer. Shared ones are
edited in the admin; an agent keeps their own from the console. An agent's own reply hides
a shared one of the same shortcut."""

import re

from django.db import transaction

from media_adapters.gwe_chat.models import CannedResponse
from media_adapters.gwe_chat.services import MAX_TEXT  # a reply is sent as a message

SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


class CannedRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def canned_for(*, user_id: int) -> list[dict]:
    """The agent's replies, by shortcut: theirs, then the shared ones they have not replaced."""
    own = {
        c.shortcut: {"shortcut": c.shortcut, "text": c.text, "own": True}
        for c in CannedResponse.objects.filter(owner_id=user_id)
    }
    shared = {
        c.shortcut: {"shortcut": c.shortcut, "text": c.text, "own": False}
        for c in CannedResponse.objects.filter(owner__isnull=True)
    }
    merged = {**shared, **own}
    return [merged[key] for key in sorted(merged)]


@transaction.atomic
def canned_save(*, user, shortcut: object, text: object) -> CannedResponse:
    """The agent's own reply under `shortcut` (made, or replaced)."""
    if not isinstance(shortcut, str) or not SHORTCUT.fullmatch(shortcut):
        raise CannedRefused(
            "A shortcut is 1 to 40 lower-case letters, digits, - or _, starting with a letter "
            "or a digit."
        )
    if not isinstance(text, str) or not text.strip():
        raise CannedRefused("The reply is empty.")
    if len(text) > MAX_TEXT:
        raise CannedRefused(f"The reply is longer than {MAX_TEXT} characters.")
    saved, _ = CannedResponse.objects.update_or_create(
        owner=user, shortcut=shortcut, defaults={"text": text.strip()}
    )
    return saved


def canned_delete(*, user, shortcut: object) -> bool:
    """Delete the agent's own reply (a shared one is the admin's); whether there was one."""
    deleted, _ = CannedResponse.objects.filter(owner=user, shortcut=str(shortcut)).delete()
    return bool(deleted)
