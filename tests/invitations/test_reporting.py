"""The invitation report: per day, template and rule, in the admin (table, chart, CSV) and
over REST."""

import base64
import csv
import io
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import path
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from invitations.api import InvitationReportView
from invitations.models import EngagementRule, Invitation, InvitationTemplate
from invitations.reporting import NO_RULE, invitation_report
from tests.support.factories import start_page

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)
NOON = datetime(2026, 3, 10, 12, tzinfo=UTC)


@pytest.fixture
def record():
    """Store an invitation as it ended: template, rule, state, and when it was offered."""
    started = start_page()
    rules: dict[str, EngagementRule] = {}

    def make(state: str, *, template="invite", rule="Pricing", at=NOON, shown=True) -> None:
        if rule and rule not in rules:
            rules[rule] = EngagementRule.objects.create(
                name=rule, template=InvitationTemplate.objects.get(slug=template)
            )
        Invitation.objects.create(
            visit=started.visit,
            page=started.page,
            global_visit_id=started.visit.global_visit_id,
            template=InvitationTemplate.objects.get(slug=template),
            rule=rules.get(rule) if rule else None,
            state=state,
            offered_at=at,
            shown_at=at if shown else None,
            expires_at=at + timedelta(seconds=45),
        )

    return make


def tallies(report) -> dict:
    """(day, template, rule) → (offered, shown, accepted, rejected, timed out, expired,
    cancelled, conversion)."""
    return {
        (row.day, row.template, row.rule): (
            row.tally.offered,
            row.tally.shown,
            row.tally.accepted,
            row.tally.rejected,
            row.tally.timed_out,
            row.tally.expired,
            row.tally.cancelled,
            row.tally.conversion,
        )
        for row in report.rows
    }


# ---- the figures -------------------------------------------------------------------------------


def test_it_counts_each_outcome_per_day_template_and_rule(record):
    for state in ["accepted", "accepted", "rejected", "timedout"]:
        record(state)
    record("expired", shown=False)
    record("expired")  # shown, then nobody answered before the deadline
    record("cancelled", shown=False)
    record("accepted", template="inviteGMS", rule=None)
    record("accepted", at=datetime(2026, 3, 11, 9, tzinfo=UTC))

    report = invitation_report(since=DAY, until=DAY + timedelta(days=1))

    assert tallies(report) == {
        (DAY, "invite", "Pricing"): (7, 5, 2, 1, 1, 2, 1, 0.286),
        (DAY, "inviteGMS", NO_RULE): (1, 1, 1, 0, 0, 0, 0, 1.0),
        (DAY + timedelta(days=1), "invite", "Pricing"): (1, 1, 1, 0, 0, 0, 0, 1.0),
    }
    totals = report.totals
    assert (totals.offered, totals.shown, totals.accepted, totals.conversion) == (9, 7, 4, 0.444)


@pytest.mark.parametrize(
    ("state", "shown"),
    [
        ("accepted", 1),
        ("rejected", 1),
        ("timedout", 1),
        ("offered", 0),
        ("expired", 0),
        ("cancelled", 0),
    ],
)
def test_an_answer_counts_as_shown_even_when_the_page_never_said_shown(record, state, shown):
    record(state, shown=False)

    [row] = invitation_report(since=DAY, until=DAY).rows

    assert (row.tally.offered, row.tally.shown) == (1, shown)


def test_it_asks_the_database_three_times(record, django_assert_num_queries):
    record("accepted")
    record("rejected", rule="Cart")
    record("accepted", template="inviteGMS", rule=None)

    # The invitations, aggregated; the rules and the decisions, for the offers held back.
    with django_assert_num_queries(3):
        report = invitation_report(since=DAY, until=DAY + timedelta(days=6))
        assert len(report.rows) == 3
        assert report.totals.offered == 3


def test_rows_come_by_day_template_then_rule_with_the_gateway_last(record):
    record("accepted", rule=None, at=NOON + timedelta(days=1))
    record("accepted", rule=None)
    record("accepted", rule="Pricing")
    record("accepted", rule="Cart")
    record("accepted", template="inviteGMS", rule=None)

    report = invitation_report(since=DAY, until=DAY + timedelta(days=1))

    assert [(row.day.day, row.template, row.rule) for row in report.rows] == [
        (10, "invite", "Cart"),
        (10, "invite", "Pricing"),
        (10, "invite", NO_RULE),
        (10, "inviteGMS", NO_RULE),
        (11, "invite", NO_RULE),
    ]


def test_days_are_counted_in_the_sites_time_zone(record, settings):
    settings.TIME_ZONE = "America/New_York"  # UTC-4 in March 2026 (daylight saving time)
    record("accepted", at=datetime(2026, 3, 10, 3, 59, tzinfo=UTC))  # 23:59 on the 9th
    record("rejected", at=datetime(2026, 3, 10, 4, 0, tzinfo=UTC))  # 00:00 on the 10th
    record("timedout", at=datetime(2026, 3, 11, 3, 59, tzinfo=UTC))  # 23:59 on the 10th
    record("expired", at=datetime(2026, 3, 11, 4, 0, tzinfo=UTC))  # 00:00 on the 11th

    around = invitation_report(since=DAY - timedelta(days=1), until=DAY + timedelta(days=1))
    only_the_10th = invitation_report(since=DAY, until=DAY)

    assert [(row.day.day, row.tally.offered) for row in around.rows] == [(9, 1), (10, 2), (11, 1)]
    [row] = only_the_10th.rows
    assert (row.day, row.tally.rejected, row.tally.timed_out) == (DAY, 1, 1)


def test_another_time_zone_can_be_asked_for(record):
    record("accepted", at=datetime(2026, 3, 10, 16, tzinfo=UTC))  # 01:00 on the 11th in Tokyo

    [row] = invitation_report(
        since=DAY, until=DAY + timedelta(days=1), tz=ZoneInfo("Asia/Tokyo")
    ).rows

    assert row.day == DAY + timedelta(days=1)


def test_it_filters_by_template_and_rule(record):
    record("accepted")
    record("rejected", rule="Cart")
    record("accepted", template="inviteGMS", rule=None)

    by_rule = invitation_report(
        since=DAY, until=DAY, rule=EngagementRule.objects.get(name="Cart").pk
    )
    by_template = invitation_report(since=DAY, until=DAY, template="inviteGMS")

    assert [(r.rule, r.tally.offered, r.tally.rejected) for r in by_rule.rows] == [("Cart", 1, 1)]
    assert [(r.template, r.rule) for r in by_template.rows] == [("inviteGMS", NO_RULE)]


def test_nothing_offered_is_a_conversion_of_zero_not_an_error():
    report = invitation_report(since=DAY, until=DAY + timedelta(days=2))

    assert report.rows == []
    assert report.totals.conversion == 0.0
    assert [tally.offered for _, tally in report.per_day()] == [0, 0, 0]


# ---- the admin ---------------------------------------------------------------------------------

REPORT = "/admin/invitations/invitation/report/"


@pytest.fixture
def analyst(client):
    """A business user who may look at invitations, and nothing else."""
    user = User.objects.create_user("analyst", password="analyst-pass", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_invitation"))
    client.force_login(user)
    return client


class _TableText(HTMLParser):
    """The text of each cell of the report's table, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.in_table = False
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and ("class", "report") in attrs:
            self.in_table = True
        elif self.in_table and tag == "tr":
            self.rows.append([])
        elif self.in_table and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self.in_table = False
        elif tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table(html: str) -> list[list[str]]:
    parser = _TableText()
    parser.feed(html)
    return parser.rows


def test_the_admin_report_shows_a_table_a_chart_and_totals(analyst, record):
    record("accepted")
    record("rejected")
    record("timedout", template="inviteGMS", rule=None, shown=False)

    page = analyst.get(REPORT, {"since": "2026-03-09", "until": "2026-03-10"})

    assert page.status_code == 200
    html = page.content.decode()
    header, *rows, totals = table(html)
    assert header[:4] == ["Day", "Template", "Rule", "Offered"]
    assert header[-1] == "Conversion"
    assert rows == [
        ["2026-03-10", "invite", "Pricing", "2", "2", "1", "1", "0", "0", "0", "0", "50 %"],
        ["2026-03-10", "inviteGMS", NO_RULE, "1", "1", "0", "0", "1", "0", "0", "0", "0 %"],
    ]
    assert totals == ["Total", "3", "3", "1", "1", "1", "0", "0", "0", "33 %"]
    assert '<svg class="report-chart"' in html
    assert html.count('<rect class="offered"') == 2  # one bar per day of the range
    assert "<title>2026-03-10: 3 offered</title>" in html
    assert "<title>2026-03-10: 1 accepted</title>" in html
    assert "<title>2026-03-09: 0 offered</title>" in html
    assert "<script" not in html.split('<div id="content-main">')[1]


def test_the_admin_report_covers_the_last_30_days_by_default(analyst):
    today = timezone.localdate()

    html = analyst.get(REPORT).content.decode()

    assert f'value="{(today - timedelta(days=29)).isoformat()}"' in html
    assert f'value="{today.isoformat()}"' in html
    assert html.count('<rect class="offered"') == 30
    assert "No invitation was offered in these days." in html


def test_the_admin_report_filters_by_template(analyst, record):
    record("accepted")
    record("accepted", template="inviteGMS", rule=None)

    page = analyst.get(REPORT, {"since": "2026-03-10", "until": "2026-03-10", "template": "invite"})

    _, *rows, _ = table(page.content.decode())
    assert [row[1] for row in rows] == ["invite"]


def test_the_invitations_list_and_the_app_page_link_to_the_report(analyst):
    assert REPORT in analyst.get("/admin/invitations/invitation/").content.decode()
    assert REPORT in analyst.get("/admin/invitations/").content.decode()


def test_the_report_downloads_as_csv(analyst, record):
    record("accepted")
    record("timedout")
    record("accepted", template="inviteGMS", rule=None, at=NOON + timedelta(days=1))

    response = analyst.get(REPORT, {"since": "2026-03-10", "until": "2026-03-11", "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="invitations-2026-03-10-2026-03-11.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        [
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
        ],
        ["2026-03-10", "invite", "Pricing", "2", "2", "1", "0", "1", "0", "0", "0", "0.500"],
        ["2026-03-11", "inviteGMS", NO_RULE, "1", "1", "1", "0", "0", "0", "0", "0", "1.000"],
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"since": "2026-03-10", "until": "2026-03-01"}, "comes before"),
        ({"since": "2024-01-01", "until": "2026-03-01"}, "Choose at most 366 days."),
        ({"since": "yesterday"}, "Enter a valid date"),
        ({"since": "2026-03-10", "until": "2026-03-10", "rule": "x"}, "Select a valid choice"),
    ],
)
def test_a_wrong_filter_is_explained_in_the_form(analyst, query, message):
    page = analyst.get(REPORT, query)
    csv_asked = analyst.get(REPORT, {**query, "format": "csv"})

    assert page.status_code == 200
    assert message in page.content.decode()
    assert '<svg class="report-chart"' not in page.content.decode()
    assert csv_asked["Content-Type"].startswith("text/html")  # the form again, no download


def test_staff_without_the_permission_cannot_see_the_report(client):
    user = User.objects.create_user("clerk", password="clerk-pass", is_staff=True)
    client.force_login(user)

    assert client.get(REPORT).status_code == 403
    assert client.get(REPORT, {"format": "csv"}).status_code == 403


def test_someone_not_signed_in_is_sent_to_the_login_page(client):
    response = client.get(REPORT)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# ---- REST --------------------------------------------------------------------------------------

URL = "/server/data/reports/invitations"


def basic_client(username: str, password: str) -> APIClient:
    client = APIClient()
    credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {credentials}")
    return client


@pytest.fixture
def reader(db):
    """A system's account that may read invitations."""
    user = User.objects.create_user("bi", password="bi-pass-1")
    user.user_permissions.add(Permission.objects.get(codename="view_invitation"))
    return user


@pytest.fixture
def api(reader):
    return basic_client("bi", "bi-pass-1")


def test_the_report_is_served_over_rest(api, record):
    record("accepted")
    record("rejected", template="inviteGMS", rule=None, shown=False)

    response = api.get(URL, {"from": "2026-03-10", "to": "2026-03-10"})

    assert response.status_code == 200
    assert response.json() == {
        "from": "2026-03-10",
        "to": "2026-03-10",
        "rows": [
            {
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
                "heldBackByPacing": 0,
                "conversionRate": 1.0,
            },
            {
                "day": "2026-03-10",
                "template": "inviteGMS",
                "rule": NO_RULE,
                "offered": 1,
                "shown": 1,
                "accepted": 0,
                "rejected": 1,
                "timedOut": 0,
                "expired": 0,
                "cancelled": 0,
                "heldBackByPacing": 0,
                "conversionRate": 0.0,
            },
        ],
        "totals": {
            "offered": 2,
            "shown": 2,
            "accepted": 1,
            "rejected": 1,
            "timedOut": 0,
            "expired": 0,
            "cancelled": 0,
            "heldBackByPacing": 0,
            "conversionRate": 0.5,
        },
    }


def test_the_rest_report_filters_by_template_and_rule(api, record):
    record("accepted")
    record("rejected", rule="Cart")
    record("accepted", template="inviteGMS", rule=None)
    cart = EngagementRule.objects.get(name="Cart").pk

    by_rule = api.get(URL, {"from": "2026-03-10", "to": "2026-03-10", "rule": cart}).json()
    by_template = api.get(
        URL, {"from": "2026-03-10", "to": "2026-03-10", "template": "inviteGMS"}
    ).json()

    assert [(r["rule"], r["rejected"]) for r in by_rule["rows"]] == [("Cart", 1)]
    assert [r["template"] for r in by_template["rows"]] == ["inviteGMS"]
    assert by_template["totals"]["offered"] == 1


def test_the_rest_report_covers_the_last_30_days_by_default(api, record):
    record("accepted", at=timezone.now())

    body = api.get(URL).json()

    today = timezone.localdate()
    assert (body["from"], body["to"]) == ((today - timedelta(days=29)).isoformat(), str(today))
    assert body["totals"]["accepted"] == 1


def test_a_token_works_as_well_as_a_password(reader):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=reader).key}")

    assert client.get(URL).status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "10/03/2026"}, "from"),
        ({"from": "2026-03-10", "to": "2026-03-01"}, "to"),
        ({"from": "2024-01-01", "to": "2026-03-01"}, "to"),
        ({"rule": "x"}, "rule"),
        ({"rule": "9999"}, "rule"),
        ({"template": "no-such-template"}, "template"),
    ],
)
def test_the_rest_report_refuses_a_malformed_query(api, query, field):
    response = api.get(URL, query)

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid input"
    assert list(body["fields"]) == [field]


def test_the_rest_report_needs_credentials_and_the_permission(reader):
    User.objects.create_user("crm", password="crm-pass-1")  # no permission at all

    anonymous = APIClient().get(URL)
    wrong_password = basic_client("bi", "not-the-password").get(URL)
    without_permission = basic_client("crm", "crm-pass-1").get(URL)

    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"].startswith("Basic")
    assert wrong_password.status_code == 401
    assert without_permission.status_code == 403
    assert "error" in without_permission.json()


def test_the_schema_documents_the_report(client):
    schema = client.get("/server/api/schema/", {"format": "json"}).json()

    operation = schema["paths"][URL]["get"]
    assert operation["operationId"] == "invitation_report"
    assert {p["name"] for p in operation["parameters"]} == {"from", "to", "template", "rule"}
    assert set(operation["responses"]) == {"200", "400", "401", "403", "429"}
    components = schema["components"]["schemas"]
    assert set(components["InvitationReport"]["properties"]) == {"from", "to", "rows", "totals"}
    assert set(components["InvitationReportRow"]["properties"]) == {
        "day",
        "template",
        "rule",
        "offered",
        "shown",
        "accepted",
        "rejected",
        "timedOut",
        "expired",
        "cancelled",
        "heldBackByPacing",
        "conversionRate",
    }


def test_the_report_documents_itself_without_warnings():
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(
        patterns=[path("reports/invitations", InvitationReportView.as_view())]
    )

    generator.get_schema(request=None, public=True)

    assert not GENERATOR_STATS, "drf-spectacular warned about the invitation report"
