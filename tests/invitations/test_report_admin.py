"""The invitation report's chart says its scale: a y-axis of round steps labelled
"invitations per day", and a legend of plain words."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission, User

from invitations.admin_report import CHART_HEIGHT, chart, tick_step
from invitations.reporting import Report, ReportRow, Tally

REPORT = "/admin/invitations/invitation/report/"
MONDAY = date(2026, 3, 9)


def report(*offered: int, accepted: int = 0) -> Report:
    rows = [
        ReportRow(
            day=MONDAY + timedelta(days=n),
            template="invite",
            rule="Pricing",
            tally=Tally(offered=count, accepted=min(count, accepted)),
        )
        for n, count in enumerate(offered)
    ]
    return Report(since=MONDAY, until=MONDAY + timedelta(days=len(offered) - 1), rows=rows)


@pytest.mark.parametrize(
    ("peak", "step"), [(0, 1), (5, 1), (6, 2), (10, 2), (11, 5), (26, 10), (51, 20), (1234, 500)]
)
def test_the_y_axis_counts_in_round_steps_of_at_most_five_ticks(peak, step):
    assert tick_step(peak) == step
    assert -(-peak // step) <= 5


def test_the_tallest_bar_reaches_the_top_tick_when_it_is_round():
    drawn = chart(report(3, 10, 7, accepted=4))

    assert [t["label"] for t in drawn["ticks"]] == [0, 2, 4, 6, 8, 10]
    assert [t["y"] for t in drawn["ticks"]] == [180, 144, 108, 72, 36, 0]
    offered = [b for b in drawn["bars"] if b["kind"] == "offered"]
    assert [b["height"] for b in offered] == [54, CHART_HEIGHT, 126]


def test_a_quiet_range_still_has_a_scale():
    drawn = chart(report(0, 0))

    assert [t["label"] for t in drawn["ticks"]] == [0, 1]
    assert {b["height"] for b in drawn["bars"]} == {0}


def test_long_ranges_label_a_few_days_not_every_one():
    drawn = chart(report(*[1] * 30))

    assert [d["label"] for d in drawn["days"]][:2] == ["2026-03-09", "2026-03-14"]
    assert len(drawn["days"]) == 6


@pytest.mark.django_db
def test_the_report_page_says_the_scale_in_plain_words(client):
    user = User.objects.create_user("analyst", password="analyst-pass", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_invitation"))
    client.force_login(user)

    html = client.get(REPORT).content.decode()

    assert ">invitations per day</text>" in html
    assert (
        '<p class="report-legend"><span class="swatch offered"></span>offered '
        '<span class="swatch accepted"></span>accepted</p>'
    ) in html
    assert "highest day" not in html
    assert '<ol class="breadcrumbs">' in html
    assert '<ul class="object-tools"><li><a href="?format=csv">Download CSV</a>' in html
