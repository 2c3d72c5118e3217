"""GWE's own admin pages (Try on a visit, the invitation report, the template's preview, the
rules) in a real Chromium, in the admin's light and dark colours: they look like the rest of
the Django admin. Screenshots are kept in each test's tmp_path."""

import json

import pytest

from tests.support.servers import fresh_database, gwe_server

pytestmark = [pytest.mark.browser, pytest.mark.server]

# A visit on a product page, and two weeks of invitations for the report (a few each day).
SEED = """
import json
from datetime import timedelta
from django.utils import timezone
from invitations.models import EngagementRule, Invitation, InvitationTemplate
from tests.support.factories import record_event, start_page
template = InvitationTemplate.objects.get(slug="invite")
rule = EngagementRule.objects.get()
started = start_page("https://shop.example/product/1")
record_event(started, "AddToCart")
now = timezone.now()
for day in range(14):
    for n in range(day % 5 + 1):
        Invitation.objects.create(
            visit=started.visit, page=started.page, global_visit_id=started.visit.global_visit_id,
            template=template, rule=rule, state="accepted" if n % 2 else "rejected",
            offered_at=now - timedelta(days=day), expires_at=now)
print(json.dumps({"visit": started.visit.pk, "template": template.pk, "rule": rule.pk}))
"""
# The system's colour scheme, and the admin's own theme toggle against it.
SCHEMES = ["light", "dark", "toggled-dark"]
WIDTH = 1280


@pytest.fixture(scope="module")
def admin_site(tmp_path_factory):
    """The demo as `make run` loads it (its admin user, rule and templates), with a visit and
    invitations to show."""
    tmp = tmp_path_factory.mktemp("admin")
    with fresh_database(tmp) as database, gwe_server(tmp, database).start() as server:
        server.manage("gwe_demo", "--url", server.url)
        seeded = server.manage("shell", "--no-imports", "-c", SEED).splitlines()[-1]
        server.ids = json.loads(seeded)  # type: ignore[attr-defined]
        yield server


@pytest.fixture(params=SCHEMES)
def admin(request, chromium_browser, admin_site):
    """A signed-in admin's page at 1280 px, in the colour scheme the test is run with."""
    context = chromium_browser.new_context(
        viewport={"width": WIDTH, "height": 900},
        color_scheme="light" if request.param == "toggled-dark" else request.param,
    )
    if request.param == "toggled-dark":
        context.add_init_script("localStorage.setItem('theme', 'dark')")  # as the toggle does
    page = context.new_page()
    page.goto(f"{admin_site.url}/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin")  # gwe_demo's password on a debug server
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    page.scheme = request.param
    scheme = page.evaluate("() => getComputedStyle(document.documentElement).colorScheme")
    assert scheme == ("light" if request.param == "light" else "dark")
    yield page
    context.close()


def style(page, selector: str, prop: str) -> str:
    return page.eval_on_selector(selector, f"e => getComputedStyle(e)[{prop!r}]")


def stock_breadcrumbs(page, url: str) -> tuple[str, str]:
    """The breadcrumb bar's colour and its first crumb's place on a page of Django's own."""
    page.goto(f"{url}/admin/invitations/engagementrule/")
    return breadcrumbs(page)


def breadcrumbs(page) -> tuple[str, str]:
    return (
        style(page, "ol.breadcrumbs", "backgroundColor"),
        page.eval_on_selector("ol.breadcrumbs li", "e => e.getBoundingClientRect().left"),
    )


def no_horizontal_overflow(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth") <= WIDTH


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two computed `rgb(r, g, b)` colours."""

    def luminance(colour: str) -> float:
        channels = [int(c) / 255 for c in colour[colour.index("(") + 1 : -1].split(",")[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted([luminance(first), luminance(second)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_try_on_a_visit_looks_like_the_admin(admin, admin_site, tmp_path):
    stock = stock_breadcrumbs(admin, admin_site.url)
    visit = admin_site.ids["visit"]

    admin.goto(f"{admin_site.url}/admin/invitations/engagementrule/try/?visit={visit}")
    admin.wait_for_selector(".verdict")
    admin.screenshot(path=tmp_path / f"try-{admin.scheme}.png", full_page=True)

    assert breadcrumbs(admin) == stock  # the dark bar, its crumbs where Django puts them
    assert no_horizontal_overflow(admin)
    field = admin.locator("#id_visit")
    assert len(field.input_value()) == 22
    assert field.evaluate("e => e.scrollWidth <= e.clientWidth")  # the whole ID shows
    box = admin.eval_on_selector(".verdict", "e => e.getBoundingClientRect().left")
    for check in admin.query_selector_all(".verdict ul.checks > li"):
        assert check.evaluate("e => getComputedStyle(e).listStyleType") == "none"
        assert check.evaluate("e => e.querySelector('img').getBoundingClientRect().left") > box
    assert "PricingDwell at least once — the event tried was AddToCart" in (
        admin.inner_text(".verdict")
    )


def test_the_report_looks_like_the_admin(admin, admin_site, tmp_path):
    stock = stock_breadcrumbs(admin, admin_site.url)

    admin.goto(f"{admin_site.url}/admin/invitations/invitation/report/")
    admin.wait_for_selector("svg.report-chart")
    admin.screenshot(path=tmp_path / f"report-{admin.scheme}.png", full_page=True)

    assert breadcrumbs(admin) == stock
    assert no_horizontal_overflow(admin)
    assert admin.inner_text(".report-legend").split() == ["offered", "accepted"]
    labels = [t.text_content() for t in admin.query_selector_all("svg.report-chart text")]
    assert "invitations per day" in labels
    assert {str(n) for n in range(6)} <= set(labels)  # the y-axis: 0 to 5 a day here
    background = style(admin, "body", "backgroundColor")
    for kind in ("offered", "accepted"):
        fill = style(admin, f"svg.report-chart rect.{kind}", "fill")
        assert contrast(fill, background) >= 3, (kind, fill, background)
    # A date on one line: as high as a figure's line in the same table.
    one_line = admin.evaluate(
        """() => [...document.querySelectorAll('table.report tr:has(td.day)')].map(row => {
             const height = cell => { const r = document.createRange();
               r.selectNodeContents(cell); return r.getBoundingClientRect().height; };
             return [height(row.querySelector('td.day')), height(row.querySelector('td.number'))];
           })"""
    )
    assert one_line
    assert all(day == figure for day, figure in one_line), one_line


def test_the_preview_shows_a_phone_at_a_phones_width(admin, admin_site, tmp_path):
    template = admin_site.ids["template"]
    admin.goto(f"{admin_site.url}/admin/invitations/invitationtemplate/{template}/change/")
    for kind in ("desktop", "mobile"):
        admin.frame_locator(f'iframe[data-gwe-preview="{kind}"]').locator("h1").wait_for()
    previews = admin.locator(".gwe-previews")
    previews.screenshot(path=tmp_path / f"preview-{admin.scheme}.png")

    width = {
        kind: admin.eval_on_selector(
            f'iframe[data-gwe-preview="{kind}"]', "e => e.getBoundingClientRect().width"
        )
        for kind in ("desktop", "mobile")
    }
    phone = admin.eval_on_selector(".gwe-phone", "e => [e.clientWidth, e.clientHeight]")
    assert phone == [360, 640]
    assert width["mobile"] <= 360 - 40 < width["desktop"]

    admin.fill("#id_title", "Hello {% if %}")
    problem = admin.frame_locator('iframe[data-gwe-preview="desktop"]').locator(".errornote")
    problem.wait_for(timeout=5000)
    previews.screenshot(path=tmp_path / f"preview-refused-{admin.scheme}.png")
    page_colour = style(admin, "body", "backgroundColor")
    assert problem.evaluate("e => getComputedStyle(document.body).backgroundColor") == page_colour


def test_the_rules_say_whether_anyone_answers(admin, admin_site, tmp_path):
    admin.goto(f"{admin_site.url}/admin/invitations/engagementrule/")
    admin.screenshot(path=tmp_path / f"rules-{admin.scheme}.png", full_page=True)
    listed = admin.inner_text("td.field-answering_now").strip()
    list_fits = admin.evaluate(
        "() => { const r = document.querySelector('.results'); "
        "return r.scrollWidth <= r.clientWidth; }"
    )
    admin.goto(
        f"{admin_site.url}/admin/invitations/engagementrule/{admin_site.ids['rule']}/change/"
    )
    admin.screenshot(path=tmp_path / f"rule-{admin.scheme}.png", full_page=True)

    # The demo's chat is the built-in one, and no agent has clicked Available.
    assert listed == "Nobody on gwe-chat: no agent is Available."
    assert admin.get_attribute(".field-answering_now a", "href") == "/agent/"
    assert no_horizontal_overflow(admin)
    assert list_fits is True  # every column of the rule list in view, none cut
