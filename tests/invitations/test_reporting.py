"""The invitation report: per day, template and rule, in the admin (table, chart, CSV) and
over REST."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient

from invitations.models import EngagementRule, Invitation, InvitationTemplate
from invitations.reporting import NO_RULE, invitation_report
from tests.support.factories import start_page

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)


@pytest.fixture
def record():
    """Store an invitation as it ended: template, rule, state, and when it was offered."""
    started = start_page()
    rules: dict[str, EngagementRule] = {}

    def make(state: str, *, template="invite", rule="Pricing", at=None, shown=True) -> None:
        if rule and rule not in rules:
            rules[rule] = EngagementRule.objects.create(
                name=rule, template=InvitationTemplate.objects.get(slug=template)
            )
        offered_at = at or datetime(2026, 3, 10, 12, tzinfo=UTC)
        Invitation.objects.create(
            visit=started.visit,
            page=started.page,
            global_visit_id=started.visit.global_visit_id,
            template=InvitationTemplate.objects.get(slug=template),
            rule=rules.get(rule) if rule else None,
            state=state,
            offered_at=offered_at,
            shown_at=offered_at if shown else None,
            expires_at=offered_at + timedelta(seconds=45),
        )

    return make


def tallies(report) -> dict:
    return {
        (row.day, row.template, row.rule): (
            row.tally.offered,
            row.tally.shown,
            row.tally.accepted,
            row.tally.rejected,
            row.tally.timed_out,
            row.tally.conversion,
        )
        for row in report.rows
    }


def test_it_counts_each_outcome_per_day_template_and_rule(record):
    for state in ["accepted", "accepted", "rejected", "timedout"]:
        record(state)
    record("expired", shown=False)
    record("accepted", template="inviteGMS", rule=None)
    record("accepted", at=datetime(2026, 3, 11, 9, tzinfo=UTC))

    report = invitation_report(since=DAY, until=DAY + timedelta(days=1))

    assert tallies(report) == {
        (DAY, "invite", "Pricing"): (5, 4, 2, 1, 1, 0.4),
        (DAY, "inviteGMS", NO_RULE): (1, 1, 1, 0, 0, 1.0),
        (DAY + timedelta(days=1), "invite", "Pricing"): (1, 1, 1, 0, 0, 1.0),
    }
    totals = report.totals
    assert (totals.offered, totals.accepted, totals.conversion) == (7, 4, 0.571)


def test_an_answer_counts_as_shown_even_when_the_shown_report_was_lost(record):
    record("accepted", shown=False)
    record("offered", shown=False)

    [row] = invitation_report(since=DAY, until=DAY).rows

    assert (row.tally.offered, row.tally.shown) == (2, 1)


def test_days_are_counted_in_the_sites_time_zone(record, settings):
    settings.TIME_ZONE = "America/New_York"
    record("accepted", at=datetime(2026, 3, 11, 3, tzinfo=UTC))  # 23:00 on the 10th in New York

    [row] = invitation_report(since=DAY, until=DAY + timedelta(days=1)).rows

    assert row.day == DAY


def test_it_filters_by_template_and_rule(record):
    record("accepted")
    record("rejected", rule="Cart")
    record("accepted", template="inviteGMS", rule=None)

    by_rule = invitation_report(
        since=DAY, until=DAY, rule=EngagementRule.objects.get(name="Cart").pk
    )
    by_template = invitation_report(since=DAY, until=DAY, template="inviteGMS")

    assert [(r.rule, r.tally.rejected) for r in by_rule.rows] == [("Cart", 1)]
    assert [r.template for r in by_template.rows] == ["inviteGMS"]


def test_nothing_offered_is_a_conversion_of_zero_not_an_error():
    report = invitation_report(since=DAY, until=DAY + timedelta(days=2))

    assert report.rows == []
    assert report.totals.conversion == 0.0
    assert [tally.offered for _, tally in report.per_day()] == [0, 0, 0]


# ---- the admin ---------------------------------------------------------------------------------


@pytest.fixture
def analyst(client):
    """A business user who may look at invitations, and nothing else."""
    user = User.objects.create_user("analyst", password="analyst-pass", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_invitation"))
    client.force_login(user)
    return client


REPORT = "/admin/invitations/invitation/report/"


def test_the_admin_report_shows_a_table_a_chart_and_totals(analyst, record):
    record("accepted")
    record("rejected")

    page = analyst.get(REPORT, {"since": "2026-03-09", "until": "2026-03-10"})

    assert page.status_code == 200
    html = page.content.decode()
    assert '<svg class="report-chart"' in html
    assert html.count('<rect class="offered"') == 2  # one bar per day of the range
    assert "2026-03-10: 2 offered" in html
    assert "50 %" in html  # conversion of the row and of the total
    assert "Download CSV" in html


def test_the_invitations_list_links_to_the_report(analyst):
    assert REPORT in analyst.get("/admin/invitations/invitation/").content.decode()


def test_the_report_downloads_as_csv(analyst, record):
    record("accepted")
    record("timedout")

    response = analyst.get(REPORT, {"since": "2026-03-10", "until": "2026-03-10", "format": "csv"})

    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="invitations-2026-03-10-2026-03-10.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows == [
        {
            "day": "2026-03-10",
            "template": "invite",
            "rule": "Pricing",
            "offered": "2",
            "shown": "2",
            "accepted": "1",
            "rejected": "0",
            "timed_out": "1",
            "expired": "0",
            "cancelled": "0",
            "conversion": "0.500",
        }
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"since": "2026-03-10", "until": "2026-03-01"}, "comes before"),
        ({"since": "2024-01-01", "until": "2026-03-01"}, "at most 366 days"),
        ({"since": "yesterday"}, "Enter a valid date"),
    ],
)
def test_a_wrong_range_is_explained_in_the_form(analyst, query, message):
    page = analyst.get(REPORT, query)

    assert page.status_code == 200
    assert message in page.content.decode()
    assert '<svg class="report-chart"' not in page.content.decode()


def test_staff_without_the_permission_cannot_see_the_report(client):
    user = User.objects.create_user("clerk", password="clerk-pass", is_staff=True)
    client.force_login(user)

    assert client.get(REPORT).status_code == 403


# ---- REST --------------------------------------------------------------------------------------


def api_client(*permissions: str) -> APIClient:
    user = User.objects.create_user("reader", password="reader-pass")
    user.user_permissions.add(*(Permission.objects.get(codename=p) for p in permissions))
    client = APIClient()
    client.force_authenticate(user)
    return client


URL = "/server/data/reports/invitations"


def test_the_report_is_served_over_rest(record):
    record("accepted")
    record("rejected", template="inviteGMS", rule=None)

    response = api_client("view_invitation").get(
        URL, {"since": "2026-03-10", "until": "2026-03-10"}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["since"], body["until"]) == ("2026-03-10", "2026-03-10")
    assert body["rows"][0] == {
        "day": "2026-03-10",
        "template": "invite",
        "rule": "Pricing",
        "offered": 1,
        "shown": 1,
        "accepted": 1,
        "rejected": 0,
        "timedOut": 0,
        "expired": 0,
        "cancelled": 0,
        "conversionRate": 1.0,
    }
    assert body["rows"][1]["rule"] == NO_RULE
    assert (body["totals"]["offered"], body["totals"]["conversionRate"]) == (2, 0.5)


@pytest.mark.parametrize(
    "query",
    [{"since": "10/03/2026"}, {"since": "2026-03-10", "until": "2026-03-01"}, {"rule": "x"}],
)
def test_the_rest_report_refuses_a_malformed_query(query):
    response = api_client("view_invitation").get(URL, query)

    assert response.status_code == 400
    assert response.json()


def test_the_rest_report_needs_credentials_and_the_permission():
    assert APIClient().get(URL).status_code == 401
    assert api_client().get(URL).status_code == 403
