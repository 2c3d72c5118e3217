"""Messages visitors leave when nobody can answer (no adviser ready, or a wait in the queue
they would rather not sit out): stored with the page they were on, the chat they waited in
ended (answered another way, so not abandoned), emailed to GWE_MESSAGES_EMAIL_TO when set,
then taken and answered by an agent."""

import logging
from functools import partial
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from gwe.models import Page, Visit
from media_adapters.gwe_chat import live, services, tokens
from media_adapters.gwe_chat.models import LeftMessage, Sender
from notifications.push import push_on_commit

logger = logging.getLogger(__name__)

MESSAGE_PAGE = "/server/resources/message.html"
LEFT_INSTEAD = "The visitor left a message instead of waiting."


def message_page(
    *, visit_id: str, page_id: str, alias: str, chat_id: str = "", language: str = ""
) -> str:
    """The *leave a message* form's address, with its credential (and the visitor's language,
    gwe/languages.py)."""
    token = tokens.message_token(visit_id=visit_id, page_id=page_id, alias=alias, chat_id=chat_id)
    query = {"token": token, **({"lang": language} if language else {})}
    return f"{MESSAGE_PAGE}?{urlencode(query)}"


@transaction.atomic
def message_leave(
    *,
    visit_id: str,
    page_id: str,
    alias: str,
    chat_id: str = "",
    name: str,
    email: str = "",
    phone: str = "",
    call_back: bool = False,
    text: str,
) -> LeftMessage:
    """Store what the visitor left (the form has checked it), end the chat they waited in,
    and email it once the transaction commits."""
    page = Page.objects.filter(pk=page_id, visit_id=visit_id).first()
    visit = Visit.objects.filter(pk=visit_id).first()
    message = LeftMessage.objects.create(
        adapter=alias,
        visit_id=visit_id,
        page_id=page_id,
        global_visit_id=visit.global_visit_id if visit else "",
        identity_id=(visit.identity_id or "") if visit else "",
        chat_id=chat_id or None,
        name=name,
        email=email,
        phone=phone,
        call_back=call_back,
        text=text,
        url=page.url if page else "",
        title=page.title if page else "",
        language=visit.language_code if visit else "",
    )
    if chat_id:
        services.chat_end(chat_id=chat_id, by=Sender.SYSTEM, why=LEFT_INSTEAD)
    if settings.GWE_MESSAGES_EMAIL_TO:
        transaction.on_commit(partial(_email, message.pk))
    push_on_commit([live.messages_left_changed()])
    return message


def _email(message_id: str) -> None:
    """Sent once, after commit; a mail server that refuses is logged and kept on the message
    (the message itself is safe in the database, listed for agents)."""
    message = LeftMessage.objects.get(pk=message_id)
    subject = " ".join(f"Message from {message.name} on the site".split())  # one line
    try:
        send_mail(subject, _body(message), None, settings.GWE_MESSAGES_EMAIL_TO)
    except Exception as exc:  # SMTP errors, a refused connection, a bad address
        logger.warning("message %s could not be emailed: %s", message_id, exc)
        LeftMessage.objects.filter(pk=message_id).update(email_error=str(exc)[:300])
    else:
        LeftMessage.objects.filter(pk=message_id).update(emailed_at=timezone.now())


def _body(message: LeftMessage) -> str:
    lines = [
        f"{message.name} left a message on {message.title or message.url or 'the site'}:",
        "",
        message.text,
        "",
        f"Email: {message.email or '-'}",
        f"Phone: {message.phone or '-'}" + (" (please call back)" if message.call_back else ""),
        f"Page: {message.url or '-'}",
        f"Visit: {message.visit_id}",
    ]
    return "\n".join(lines)


@transaction.atomic
def messages_open(*, user_id: int, limit: int = 100) -> list[dict]:
    """The messages not answered yet, newest first, as the console lists them."""
    found = LeftMessage.objects.filter(answered_at__isnull=True).select_related("taken_by")
    return [
        {
            "id": message.pk,
            "name": message.name,
            "email": message.email,
            "phone": message.phone,
            "callBack": message.call_back,
            "text": message.text,
            "page": {"url": message.url, "title": message.title},
            "leftAt": message.created_at.isoformat(),
            "takenBy": live.display_name(message.taken_by) if message.taken_by else "",
            "mine": message.taken_by_id == user_id,
        }
        for message in found.order_by("-created_at")[:limit]
    ]


def messages_take(*, ids: list[str], user) -> int:
    """The agent answers these (those nobody has taken yet). How many they took."""
    untaken = LeftMessage.objects.filter(pk__in=ids, taken_by__isnull=True)
    taken = untaken.update(taken_by=user, taken_at=timezone.now())
    if taken:
        push_on_commit([live.messages_left_changed()])
    return taken


@transaction.atomic
def messages_answered(*, ids: list[str], user) -> int:
    """These are answered (taken by whoever answered them, if nobody had). How many."""
    now = timezone.now()
    LeftMessage.objects.filter(pk__in=ids, taken_by__isnull=True).update(
        taken_by=user, taken_at=now
    )
    done = LeftMessage.objects.filter(pk__in=ids, answered_at__isnull=True).update(answered_at=now)
    if done:
        push_on_commit([live.messages_left_changed()])
    return done
