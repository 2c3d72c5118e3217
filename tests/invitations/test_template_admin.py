"""An invitation template's words take the visitor's attributes as its HTML does; a template
that cannot be rendered is refused by the form, previewed as a 400 that says why, and never
served to a visitor as a server error."""

import logging

import pytest

from gwe.services import identity_link
from invitations import rendering, services
from invitations.models import InvitationTemplate
from tests.invitations.test_admin_business_user import PERMISSIONS, PREVIEW, TEMPLATE_FORM
from tests.support.factories import start_page

pytestmark = pytest.mark.django_db

ADD = "/admin/invitations/invitationtemplate/add/"
NOT_VALID = "{% if %}"


@pytest.fixture
def business_user(staff_client):
    return staff_client(*PERMISSIONS)


def served_to(client, visitor: dict, **template_fields) -> str:
    """The `invite` invitation as a visitor with these attributes is served it."""
    InvitationTemplate.objects.filter(slug="invite").update(**template_fields)
    started = start_page()
    identity_link(visit_id=started.visit.pk, attributes=visitor)
    invitation = services.invitation_offer(
        page=started.page, template=InvitationTemplate.objects.get(slug="invite"), rule=None
    )
    token = services.invitation_token(invitation.pk)  # as the page's address carries it
    response = client.get(f"/server/resources/invite.html?invitation={invitation.pk}&token={token}")
    assert response.status_code == 200
    return response.content.decode()


# ---- the words ---------------------------------------------------------------------------------


def test_the_title_greets_the_visitor_by_name(client):
    html = served_to(
        client,
        {"email": "ann@example.com", "firstName": "Ann"},
        title="Hello {{ visitor.firstName }}",
        accept_label="Chat with us, {{ visitor.firstName }}",
    )

    assert "<title>Hello Ann</title>" in html
    assert '<h1 id="gwe-title">Hello Ann</h1>' in html
    assert ">Chat with us, Ann</button>" in html


def test_a_visitors_markup_in_a_word_is_escaped_exactly_once(client):
    html = served_to(
        client,
        {"email": "x@example.com", "firstName": "<script>alert(1)</script> & co"},
        title="Hello {{ visitor.firstName }}",
        text="Dear {{ visitor.firstName }}",
    )

    escaped = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"
    assert f"<title>Hello {escaped}</title>" in html
    assert f'<h1 id="gwe-title">Hello {escaped}</h1>' in html
    assert f"<p>Dear {escaped}</p>" in html
    assert "<script>alert(1)" not in html
    assert "&amp;lt;" not in html  # not twice


def test_an_attribute_the_site_did_not_tell_is_empty_or_its_default(client):
    html = served_to(
        client,
        {"email": "anon@example.com"},
        title='Hello {{ visitor.firstName|default:"there" }}',
        text="Welcome back{{ visitor.lastName }}.",
    )

    assert "<title>Hello there</title>" in html
    assert "<p>Welcome back.</p>" in html


def test_a_word_without_variables_is_kept_as_it_is():
    template = InvitationTemplate(title="50% off {today}", body_html="<h1>{{ title }}</h1>")

    rendered = rendering.render(template)

    assert (rendered.title, str(rendered.body)) == ("50% off {today}", "<h1>50% off {today}</h1>")


def test_the_form_refuses_a_word_that_is_not_a_valid_template(business_user):
    response = business_user.post(
        ADD, {**TEMPLATE_FORM, "title": "Hello {% if visitor.firstName %}{{ visitor.firstName }}"}
    )

    errors = response.context["adminform"].form.errors
    assert response.status_code == 200
    assert list(errors) == ["title"]
    assert errors["title"][0].startswith("Not a valid template: Unclosed tag on line 1: 'if'")
    assert not InvitationTemplate.objects.filter(slug="spring-sale").exists()


def test_the_form_refuses_a_translation_whose_words_are_not_valid(business_user):
    response = business_user.post(
        ADD, {**TEMPLATE_FORM, "translations-0-text": "Bonjour {% if visitor %}"}
    )

    [translation] = response.context["inline_admin_formsets"][0].formset.errors
    assert translation["text"][0].startswith("Not a valid template:")
    assert not InvitationTemplate.objects.filter(slug="spring-sale").exists()


def test_the_form_says_in_which_html_the_problem_is(business_user):
    response = business_user.post(ADD, {**TEMPLATE_FORM, "mobile_body_html": NOT_VALID})

    errors = response.context["adminform"].form.errors
    assert list(errors) == ["mobile_body_html"]
    assert "Unexpected end of expression in if tag" in errors["mobile_body_html"][0]


def test_the_form_says_which_variables_the_words_take(business_user):
    html = business_user.get(ADD).content.decode()

    assert 'Hello {{ visitor.firstName|default:"there" }}' in html
    assert "May use {{ visitor.NAME }}" in html


# ---- the preview -------------------------------------------------------------------------------


def test_a_preview_that_cannot_be_drawn_is_a_400_saying_why_and_no_server_error(
    business_user, caplog
):
    with caplog.at_level(logging.INFO, logger="django.request"):
        response = business_user.post(
            PREVIEW, {**TEMPLATE_FORM, "title": "Hi {% if %}", "_preview_theme": "dark"}
        )

    html = response.content.decode()
    assert response.status_code == 400
    assert "<strong>Title</strong>: Not a valid template: Unexpected end of expression" in html
    assert '<html lang="en" data-theme="dark">' in html  # the admin's colours, as chosen
    assert "/static/admin/css/base.css" in html
    assert "/static/admin/css/dark_mode.css" in html
    assert response["Content-Security-Policy"] == "frame-ancestors 'self'"
    errors = [r for r in caplog.records if r.name == "django.request" and r.levelname == "ERROR"]
    assert errors == []


def test_a_preview_with_the_theme_unsaid_or_made_up_follows_the_system(business_user):
    response = business_user.post(
        PREVIEW, {**TEMPLATE_FORM, "body_html": NOT_VALID, "_preview_theme": "<x>"}
    )

    assert '<html lang="en" data-theme="auto">' in response.content.decode()


def test_a_valid_preview_greets_a_visitor_it_does_not_know(business_user):
    response = business_user.post(
        PREVIEW, {**TEMPLATE_FORM, "title": 'Hello {{ visitor.firstName|default:"there" }}'}
    )

    assert response.status_code == 200
    assert "<h1>Hello there</h1>" in response.content.decode()


def test_the_preview_shows_the_phone_at_a_phones_width(business_user):
    html = business_user.get(ADD).content.decode()

    assert '<div class="gwe-phone"><iframe data-gwe-preview="mobile"' in html
    assert "Phone (360 &times; 640 px)" in html
    assert ".gwe-phone { width: 360px; height: 640px;" in html


# ---- a broken template that reached the database anyway -----------------------------------------


def test_a_visitor_is_never_served_a_broken_template_as_a_server_error(client, caplog):
    # Saved without the form (a script, a shell): the form would have refused it.
    InvitationTemplate.objects.filter(slug="invite").update(body_html="<h1>{% if %}</h1>")

    with caplog.at_level(logging.WARNING):
        response = client.get("/server/resources/invite.html")

    html = response.content.decode()
    # 503: the site cannot show this invitation until someone fixes it; not the visitor's
    # fault (a 4xx), nor GWE failing (a 500).
    assert response.status_code == 503
    assert "{% if %}" not in html  # the admin's HTML is not shown to the public
    assert "action: 'close'" in html  # the tracker removes the empty frame
    [logged] = [r for r in caplog.records if r.name == "invitations.views"]
    assert "'invite' is not a valid template" in logged.getMessage()
