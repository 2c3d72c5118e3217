"""The visitor's language: which of GWE's own languages its pages and words are in, chosen
by the page's `languageCode` (SPEC §2). Invitation templates carry their own translations
(invitations.rendering); these are the words of GWE itself: the invitation's buttons, the
chat, *leave a message*, the launcher."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy

# The tracker's own words (gwe/tracker/GPE.js): the launcher's, and the invitation frame's
# title that screen readers say.
TRACKER_WORDS = {"chat": gettext_lazy("Chat with us"), "frame": gettext_lazy("Invitation")}


def visitor_language(code: str) -> str:
    """The shipped language nearest `code` ("fr-CA" → "fr"); the default for one we do not
    have or a code that is not one."""
    code = (code or "").strip().replace("_", "-").lower()[:35]
    if code:
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            pass
    return settings.LANGUAGE_CODE


@contextmanager
def in_visitors_language(code: str) -> Iterator[str]:
    """GWE's words, within the block, in the visitor's language."""
    language = visitor_language(code)
    with translation.override(language):
        yield language


def speaks_visitors_language(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A visitor's page in the language its address names (`?lang=`, which GWE puts in the
    addresses it gives the page, from the visit's `languageCode`)."""

    @wraps(view)
    def translated(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        with in_visitors_language(request.GET.get("lang", "")):
            response = view(request, *args, **kwargs)
            response.headers.setdefault("Content-Language", translation.get_language())
            return response

    return translated


def tracker_words() -> dict[str, dict[str, str]]:
    """The tracker's words in every language GWE has, for the script to choose from."""
    words = {}
    for code, _ in settings.LANGUAGES:
        with translation.override(code):
            words[code] = {name: str(text) for name, text in TRACKER_WORDS.items()}
    return words
