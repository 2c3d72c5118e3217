"""The invitation report in the admin: a filter, a chart, a table and a CSV download."""

import csv
import itertools
import math
from datetime import timedelta

from django import forms
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from invitations.models import EngagementRule, InvitationTemplate
from invitations.reporting import MAX_DAYS, Report, invitation_report

CSV_COLUMNS = [
    "day",
    "template",
    "rule",
    "offered",
    "shown",
    "accepted",
    "rejected",
    "timed_out",
    "expired",
    "cancelled",
    "held_back",
    "conversion",
]
CHART_WIDTH, CHART_HEIGHT = 720, 180  # the plot, inside its axes
AXIS_LEFT, AXIS_BOTTOM, MARGIN = 60, 24, 10
MOST_TICKS, MOST_DAY_LABELS = 5, 6


class ReportForm(forms.Form):
    since = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="Until", widget=forms.DateInput(attrs={"type": "date"}))
    template = forms.ModelChoiceField(
        InvitationTemplate.objects.all(), required=False, to_field_name="slug", empty_label="All"
    )
    rule = forms.ModelChoiceField(EngagementRule.objects.all(), required=False, empty_label="All")

    def clean(self):
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until:
            if until < since:
                raise forms.ValidationError("“Until” comes before “From”.")
            if (until - since).days >= MAX_DAYS:
                raise forms.ValidationError(f"Choose at most {MAX_DAYS} days.")
        return cleaned

    @classmethod
    def of(cls, request: HttpRequest) -> "ReportForm":
        today = timezone.localdate()
        data = request.GET.copy()
        data.setdefault("since", (today - timedelta(days=29)).isoformat())
        data.setdefault("until", today.isoformat())
        return cls(data)

    def report(self) -> Report:
        values = self.cleaned_data
        return invitation_report(
            since=values["since"],
            until=values["until"],
            template=values["template"].slug if values["template"] else None,
            rule=values["rule"].pk if values["rule"] else None,
        )


def report_view(request: HttpRequest, context: dict) -> HttpResponse:
    form = ReportForm.of(request)
    report = form.report() if form.is_valid() else None
    if report is not None and request.GET.get("format") == "csv":
        return as_csv(report)
    return TemplateResponse(
        request,
        "admin/invitations/report.html",
        {
            **context,
            "title": "Invitation report",
            "form": form,
            "report": report,
            "chart": chart(report) if report else None,
            "csv_query": _with(request, format="csv"),
        },
    )


def as_csv(report: Report) -> HttpResponse:
    name = f"invitations-{report.since.isoformat()}-{report.until.isoformat()}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in report.rows:
        counts = [getattr(row.tally, name) for name in CSV_COLUMNS[3:-1]]
        writer.writerow(
            [row.day.isoformat(), row.template, row.rule, *counts, f"{row.tally.conversion:.3f}"]
        )
    return response


def chart(report: Report) -> dict:
    """Bars of offered and accepted per day, with their scale, laid out for an inline SVG (no
    script): coordinates are in the plot, whose origin is its top left corner."""
    days = report.per_day()
    peak = max((tally.offered for _, tally in days), default=0)
    step = tick_step(peak)
    top = max(math.ceil(peak / step), 1) * step
    slot = CHART_WIDTH / len(days)
    bar = max(slot / 2 - 1, 1)
    bars = []
    for n, (day, tally) in enumerate(days):
        for offset, count, kind in (
            (0, tally.offered, "offered"),
            (bar, tally.accepted, "accepted"),
        ):
            height = CHART_HEIGHT * count / top
            bars.append(
                {
                    "x": round(n * slot + offset, 1),
                    "y": round(CHART_HEIGHT - height, 1),
                    "width": round(bar, 1),
                    "height": round(height, 1),
                    "kind": kind,
                    "label": f"{day.isoformat()}: {count} {kind}",
                }
            )
    every = math.ceil(len(days) / MOST_DAY_LABELS)
    return {
        "width": AXIS_LEFT + CHART_WIDTH + MARGIN,
        "height": MARGIN + CHART_HEIGHT + AXIS_BOTTOM,
        "left": AXIS_LEFT,
        "top": MARGIN,
        "middle": MARGIN + CHART_HEIGHT // 2,
        "plot_width": CHART_WIDTH,
        "plot_height": CHART_HEIGHT,
        "bars": bars,
        "ticks": [
            {"y": round(CHART_HEIGHT * (1 - value / top), 1), "label": value}
            for value in range(0, top + 1, step)
        ],
        "days": [
            {"x": round((n + 0.5) * slot, 1), "label": day.isoformat()}
            for n, (day, _) in enumerate(days)
            if n % every == 0
        ],
    }


def tick_step(peak: int) -> int:
    """A round step (1, 2, 5, 10, 20, ...) giving at most MOST_TICKS ticks above 0."""
    for power in itertools.count():
        for base in (1, 2, 5):
            if math.ceil(peak / (step := base * 10**power)) <= MOST_TICKS:
                return step
    raise AssertionError("unreachable")


def _with(request: HttpRequest, **changes: str) -> str:
    query = request.GET.copy()
    for name, value in changes.items():
        query[name] = value
    return query.urlencode()
