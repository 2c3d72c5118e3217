"""How invitations fare: per day, template and rule, what was offered, seen, accepted,
rejected or ignored, the conversion rate (accepted / offered), and the offers pacing held
back. One aggregate query for the invitations, one read of the decisions held back."""

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from invitations.models import (
    GATEWAY,
    EngagementDecision,
    EngagementRule,
    Invitation,
    InvitationState,
)

MAX_DAYS = 366
# Offered through the engage gateway by an external strategy, or by a rule since deleted
# (the invitation keeps no trace of a deleted rule).
NO_RULE = "engage gateway / no rule"

# Shown: the page said so (shown_at), or the visitor answered it or let it time out, which
# happens only on screen; the page may go from offered straight to an answer (its "shown"
# report lost, or never sent). Expired and cancelled ones may never have reached the screen:
# they count as shown only with a shown_at.
SEEN = Q(shown_at__isnull=False) | Q(
    state__in=[InvitationState.ACCEPTED, InvitationState.REJECTED, InvitationState.TIMED_OUT]
)
COUNTS = {
    "offered": Count("pk"),
    "shown": Count("pk", filter=SEEN),
    "accepted": Count("pk", filter=Q(state=InvitationState.ACCEPTED)),
    "rejected": Count("pk", filter=Q(state=InvitationState.REJECTED)),
    "timed_out": Count("pk", filter=Q(state=InvitationState.TIMED_OUT)),
    "expired": Count("pk", filter=Q(state=InvitationState.EXPIRED)),
    "cancelled": Count("pk", filter=Q(state=InvitationState.CANCELLED)),
}


@dataclass(frozen=True)
class Tally:
    offered: int = 0
    shown: int = 0
    accepted: int = 0
    rejected: int = 0
    timed_out: int = 0
    expired: int = 0
    cancelled: int = 0
    held_back: int = 0  # offers a rule matched for and pacing held back (never offered)

    @property
    def conversion(self) -> float:
        """Accepted per offered, 0 when nothing was offered."""
        return round(self.accepted / self.offered, 3) if self.offered else 0.0

    def __add__(self, other: "Tally") -> "Tally":
        mine, theirs = asdict(self), asdict(other)
        return Tally(**{name: mine[name] + theirs[name] for name in mine})


@dataclass(frozen=True)
class ReportRow:
    day: date
    template: str
    rule: str
    tally: Tally = field(default_factory=Tally)


@dataclass(frozen=True)
class Report:
    since: date
    until: date  # inclusive
    rows: list[ReportRow]

    @property
    def totals(self) -> Tally:
        return sum((row.tally for row in self.rows), Tally())

    def per_day(self) -> list[tuple[date, Tally]]:
        """Every day of the range (quiet ones too), for the chart."""
        days: dict[date, Tally] = {}
        for row in self.rows:
            days[row.day] = days.get(row.day, Tally()) + row.tally
        length = (self.until - self.since).days + 1
        every = (self.since + timedelta(days=n) for n in range(length))
        return [(day, days.get(day, Tally())) for day in every]


def invitation_report(
    *,
    since: date,
    until: date,
    template: str | None = None,
    rule: int | None = None,
    tz: tzinfo | None = None,
) -> Report:
    """Invitations offered from `since` to `until` (both included), per day, template and
    rule. Days are those of `tz`, by default the site's time zone (GWE_TIME_ZONE)."""
    zone = tz or timezone.get_default_timezone()
    invitations = Invitation.objects.filter(
        offered_at__gte=datetime.combine(since, time.min, tzinfo=zone),
        offered_at__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone),
    )
    if template:
        invitations = invitations.filter(template__slug=template)
    if rule is not None:
        invitations = invitations.filter(rule_id=rule)
    grouped = (
        invitations.annotate(day=TruncDate("offered_at", tzinfo=zone))
        .values("day", "template__slug", "rule__name")
        .annotate(**COUNTS)
        .order_by("day", "template__slug", F("rule__name").asc(nulls_last=True))
    )
    tallies = {
        (row["day"], row["template__slug"], row["rule__name"] or NO_RULE): Tally(
            **{name: row[name] for name in COUNTS}  # type: ignore[literal-required]
        )
        for row in grouped
    }
    start = datetime.combine(since, time.min, tzinfo=zone)
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)
    for key, count in _held_back(start, end, zone, template=template, rule=rule).items():
        tallies[key] = tallies.get(key, Tally()) + Tally(held_back=count)
    rows = [
        ReportRow(day=day, template=slug, rule=name, tally=tally)
        for (day, slug, name), tally in sorted(tallies.items(), key=_row_order)
    ]
    return Report(since=since, until=until, rows=rows)


def _row_order(item) -> tuple:
    (day, slug, name), _ = item
    return (day, slug, name == NO_RULE, name)


def _held_back(
    start: datetime, end: datetime, zone: tzinfo, *, template: str | None, rule: int | None
) -> Counter:
    """(day, template, rule) → the decisions in which pacing held that rule's offer back."""
    rules = {r.name: r for r in EngagementRule.objects.select_related("template")}
    held: Counter = Counter()
    decisions = EngagementDecision.objects.filter(
        decided_at__gte=start, decided_at__lt=end, invitation__isnull=True
    ).values_list("decided_at", "reasons")
    for decided_at, reasons in decisions.iterator():
        for reason in reasons:
            if not str(reason.get("why", "")).startswith("pacing:"):
                continue
            found = rules.get(reason.get("rule"))
            if found is not None:
                slug, name, pk = found.template.slug, found.name, found.pk
            elif reason.get("rule") == GATEWAY and reason.get("template"):
                slug, name, pk = reason["template"], NO_RULE, None
            else:
                continue  # a rule since deleted
            if (template and slug != template) or (rule is not None and pk != rule):
                continue
            held[decided_at.astimezone(zone).date(), slug, name] += 1
    return held
