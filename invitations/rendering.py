"""An invitation template as the visitor sees it: the admin's HTML and CSS (trusted, and
isolated from the host page in the tracker's iframe), the visitor's data escaped."""

from dataclasses import dataclass

from django.template import Context, Template, TemplateSyntaxError
from django.utils.safestring import SafeString, mark_safe

from invitations.models import InvitationTemplate


@dataclass(frozen=True)
class Rendered:
    title: str
    body: SafeString
    css: SafeString
    timeout_seconds: int


def words(template: InvitationTemplate, language: str) -> dict:
    """Title, text and labels in the visitor's language when a translation has it."""
    chosen = {
        "title": template.title,
        "text": template.text,
        "accept_label": template.accept_label,
        "reject_label": template.reject_label,
    }
    language = (language or "").lower()
    if language and template.pk:
        translations = {t.language.lower(): t for t in template.translations.all()}
        found = translations.get(language) or translations.get(language.split("-")[0])
        if found is not None:
            chosen = {key: getattr(found, key) for key in chosen}
    return chosen


def render(
    template: InvitationTemplate,
    *,
    language: str = "",
    mobile: bool = False,
    visitor: dict | None = None,
) -> Rendered:
    """Raises TemplateSyntaxError when the admin's HTML is not a valid template."""
    source = (
        template.mobile_body_html if mobile and template.mobile_body_html else template.body_html
    )
    chosen = words(template, language)
    context = Context({**chosen, "visitor": visitor or {}}, autoescape=True)
    body = Template(source).render(context)
    return Rendered(
        title=chosen["title"],
        body=mark_safe(body),
        css=mark_safe(template.css),
        timeout_seconds=template.timeout_seconds,
    )


def check(template: InvitationTemplate) -> str | None:
    """What is wrong with the template's HTML, if anything (for the admin form)."""
    try:
        render(template)
        render(template, mobile=True)
    except TemplateSyntaxError as exc:
        return str(exc)
    return None
