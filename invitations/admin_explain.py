"""“Why did (or didn't) it fire for this visit?” in the admin: pick a visit, see every rule's
conditions, the policy's answer and availability, and the decisions GWE actually recorded."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from gwe.ids import is_valid_id
from gwe.models import Page, Visit
from invitations.explain import explain
from invitations.models import EngagementDecision, EngagementRule


class ExplainForm(forms.Form):
    visit = forms.CharField(
        label="Visit ID", help_text="From the visit's page in the admin, or the tracker's getIDs."
    )
    page = forms.CharField(
        label="Page ID", required=False, help_text="Blank: the visit's latest page."
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
            "verdicts": verdicts,
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
