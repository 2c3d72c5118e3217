"""“Why did (or didn't) it fire for this visit?” in the admin: pick a visit, see every rule's
conditions, the policy's answer and availability, and the decisions GWE actually recorded.
And, on the rules' own pages, whether anyone can answer their invitations now."""

import json
from dataclasses import dataclass

from django import forms
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from gwe.ids import is_valid_id
from gwe.models import Page, Visit
from invitations.explain import explain
from invitations.models import EngagementDecision, EngagementRule, InvitationTemplate
from media_adapters.gwe_chat.adapter import GweChatAdapter
from media_adapters.registry import adapter_available, adapters

# IDs are 22 characters: the whole of one shows, and it is not spell-checked.
ID_INPUT = forms.TextInput(attrs={"size": 26, "spellcheck": "false", "autocomplete": "off"})


class ExplainForm(forms.Form):
    visit = forms.CharField(
        label="Visit ID",
        widget=ID_INPUT,
        help_text="From the visit's page in the admin, or the tracker's getIDs.",
    )
    page = forms.CharField(
        label="Page ID",
        widget=ID_INPUT,
        required=False,
        help_text="Blank: the visit's latest page.",
    )
    rule = forms.ModelChoiceField(
        EngagementRule.objects.select_related("template").prefetch_related("categories"),
        required=False,
        empty_label="Every enabled rule",
    )
    event_name = forms.CharField(
        label="As if this event happened now",
        required=False,
        max_length=128,
        help_text="Blank: the page's latest event, as it happened.",
    )

    def clean_visit(self) -> Visit:
        visit_id = self.cleaned_data["visit"].strip()
        visit = Visit.objects.filter(pk=visit_id).first() if is_valid_id(visit_id) else None
        if visit is None:
            raise forms.ValidationError(f"There is no visit {visit_id!r}.")
        return visit

    def clean(self):
        cleaned = super().clean() or {}
        visit, page_id = cleaned.get("visit"), (cleaned.get("page") or "").strip()
        cleaned["page"] = None
        if visit is not None and page_id:
            cleaned["page"] = Page.objects.filter(pk=page_id, visit=visit).first()
            if cleaned["page"] is None:
                self.add_error("page", f"The visit has no page {page_id!r}.")
        return cleaned


@dataclass(frozen=True)
class Answer:
    """Whether a rule's invitation would find someone to answer now, in words: a sentence
    (the rule's page), and a few words for the list of rules."""

    yes: bool
    said: SafeString
    short: SafeString


class Answering:
    """Asks each adapter (alias and options) once, however many rules share it."""

    def __init__(self) -> None:
        self.asked: dict[tuple[str, str], bool] = {}

    def available(self, template: InvitationTemplate) -> bool:
        key = (template.adapter, json.dumps(template.adapter_options, sort_keys=True))
        if key not in self.asked:
            self.asked[key] = adapter_available(template.adapter, template.adapter_options)
        return self.asked[key]

    def of(self, rule: EngagementRule) -> Answer:
        template, alias = rule.template, rule.template.adapter
        if not rule.enabled:
            said = mark_safe("This rule is disabled.")
            return Answer(False, said, said)
        if not template.enabled:
            return Answer(
                False,
                format_html("Its invitation {} is disabled: this rule invites no one.", template),
                mark_safe("Its invitation is disabled."),
            )
        if self.available(template):
            return Answer(
                True,
                format_html("Yes: someone is available to answer on {}.", alias),
                format_html("Yes, on {}.", alias),
            )
        return nobody_answers(alias)


def nobody_answers(alias: str) -> Answer:
    """What to do when the alias's adapter has nobody to answer."""
    configured = adapters().get(alias)
    if configured is None:
        return Answer(
            False,
            format_html("No media adapter {} is configured: this rule invites no one.", alias),
            format_html("No media adapter {} is configured.", alias),
        )
    if isinstance(configured, GweChatAdapter):
        console = reverse("agent-console")
        return Answer(
            False,
            format_html(
                "Nobody is available to answer on {}: this rule invites no one until an agent "
                'opens the <a href="{}">agent console ({})</a> and clicks Available.',
                alias,
                console,
                console,
            ),
            format_html('Nobody on {}: no agent is <a href="{}">Available</a>.', alias, console),
        )
    return Answer(
        False,
        format_html(
            "Nobody is available to answer on {}: this rule invites no one until {} says "
            "someone is.",
            alias,
            alias,
        ),
        format_html("Nobody on {}.", alias),
    )


def explain_view(request: HttpRequest, context: dict) -> HttpResponse:
    form = ExplainForm(request.GET or None)
    result = None
    if form.is_valid():
        values = form.cleaned_data
        trigger, verdicts = explain(
            visit=values["visit"],
            page=values["page"],
            rules=[values["rule"]] if values["rule"] else None,
            event_name=values["event_name"].strip(),
        )
        result = {
            "visit": values["visit"],
            "trigger": trigger,
            # With what to do when nobody would answer (the verdict asked already).
            "verdicts": [
                (v, None if v.available else nobody_answers(v.rule.template.adapter).said)
                for v in verdicts
            ],
            "decisions": EngagementDecision.objects.filter(visit=values["visit"])
            .select_related("invitation__template")
            .order_by("-decided_at")[:20],
            "invitations": values["visit"]
            .invitations.select_related("template", "rule")
            .order_by("-offered_at")[:20],
        }
    return TemplateResponse(
        request,
        "admin/invitations/explain.html",
        {**context, "title": "Try the rules on a visit", "form": form, "result": result},
    )
