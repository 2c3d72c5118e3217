"""An invitation template as the visitor sees it: the admin's HTML and CSS (trusted, and
isolated from the host page in the tracker's iframe), the visitor's data escaped."""

import re
from dataclasses import dataclass
from typing import Any

from django.template import Context, Template, TemplateDoesNotExist, TemplateSyntaxError
from django.utils.safestring import SafeString, mark_safe

from invitations.models import InvitationTemplate

WORDS = ("title", "text", "accept_label", "reject_label")
# What a template the admin wrote may raise: a syntax error, or an {% include %} of nothing.
NOT_VALID = (TemplateSyntaxError, TemplateDoesNotExist)


@dataclass(frozen=True)
class Rendered:
    title: str
    body: SafeString
    css: SafeString
    timeout_seconds: int


def words(template: InvitationTemplate, language: str) -> dict:
    """Title, text and labels in the visitor's language when a translation has it."""
    chosen = {key: getattr(template, key) for key in WORDS}
    language = (language or "").lower()
    if language and template.pk:
        translations = {t.language.lower(): t for t in template.translations.all()}
        found = translations.get(language) or translations.get(language.split("-")[0])
        if found is not None:
            chosen = {key: getattr(found, key) for key in chosen}
    return chosen


def word(text: str, visitor: dict) -> str:
    """A word with the visitor's attributes in it (`Hello {{ visitor.firstName }}`), as text:
    it is escaped where it is inserted ({{ title }} in the HTML, the page's <title>), so it is
    not escaped here."""
    if "{" not in text:  # most words take no variable
        return text
    rendered = Template(text).render(Context({"visitor": visitor}, autoescape=False))
    return str.__str__(rendered)  # a plain str: render() marks its output safe, and it is not


# What a browser runs when it follows a link: the scheme, once it drops the ASCII whitespace
# and control characters it ignores there ("java\tscript:" is "javascript:").
_RUNS_SCRIPT = re.compile(r"^(?:javascript|vbscript|livescript|data):", re.IGNORECASE)
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20]")


def inert(value: Any) -> Any:
    """A visitor's attributes as a template may show them: a text the site's visitor set that
    would run script if a template links it (`href="{{ visitor.website }}"`) is left out.
    HTML escaping cannot stop it: `javascript:` has nothing to escape."""
    if isinstance(value, dict):
        return {key: inert(item) for key, item in value.items()}
    if isinstance(value, list):
        return [inert(item) for item in value]
    if isinstance(value, str) and _RUNS_SCRIPT.match(_IGNORED_IN_URLS.sub("", value)):
        return ""
    return value


def render(
    template: InvitationTemplate,
    *,
    language: str = "",
    mobile: bool = False,
    visitor: dict | None = None,
) -> Rendered:
    """Raises one of NOT_VALID when the admin's words or HTML are not a valid template."""
    source = (
        template.mobile_body_html if mobile and template.mobile_body_html else template.body_html
    )
    visitor = inert(visitor or {})
    chosen = {key: word(text, visitor) for key, text in words(template, language).items()}
    context = Context({**chosen, "visitor": visitor}, autoescape=True)
    body = Template(source).render(context)
    return Rendered(
        title=chosen["title"],
        body=mark_safe(body),
        css=mark_safe(template.css),
        timeout_seconds=template.timeout_seconds,
    )


def word_problem(text: str) -> str | None:
    """What makes a word not a valid template, if anything."""
    try:
        word(text, {})
    except NOT_VALID as exc:
        return str(exc)
    return None


def check(template: InvitationTemplate) -> dict[str, str]:
    """What is wrong with the template's words and HTML, by field (for the admin form)."""
    problems = {key: p for key in WORDS if (p := word_problem(getattr(template, key) or ""))}
    if problems:
        return problems  # the HTML is tried with its words
    for field, mobile in (("body_html", False), ("mobile_body_html", True)):
        if not getattr(template, field):
            continue
        try:
            render(template, mobile=mobile)
        except NOT_VALID as exc:
            problems[field] = str(exc)
    return problems
