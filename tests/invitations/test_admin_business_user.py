"""A business user — staff, not a superuser, with only the permissions the job needs — makes
an invitation and a rule in the admin, previews it as they type, and it takes effect at once."""

import pytest
from django.contrib.auth.models import User

from invitations import config
from invitations.config import configuration, forget_configuration
from invitations.models import EngagementRule, Invitation, InvitationTemplate
from tests.support.factories import record_event, start_page

pytestmark = pytest.mark.django_db

PERMISSIONS = [
    "add_invitationtemplate",
    "change_invitationtemplate",
    "view_invitationtemplate",
    "add_templatetranslation",
    "change_templatetranslation",
    "view_templatetranslation",
    "add_engagementrule",
    "change_engagementrule",
    "view_engagementrule",
    "view_category",
    "view_businesshours",
]
PREVIEW = "/admin/invitations/invitationtemplate/preview/"

TEMPLATE_FORM = {
    "name": "Spring sale",
    "slug": "spring-sale",
    "enabled": "on",
    "kind": "chat",
    "variant": "gwe-chat",
    "title": "Spring sale: questions?",
    "text": "Ask us about the <b>sale</b>.",
    "accept_label": "Ask now",
    "reject_label": "Later",
    "body_html": (
        '<div class="invitation"><h1>{{ title }}</h1><p>{{ text }}</p>'
        '<button data-gwe-action="accept">{{ accept_label }}</button></div>'
    ),
    "css": ".invitation { color: #123; }",
    "mobile_body_html": "<p>{{ title }} (mobile)</p>",
    "adapter": "gwe-chat",
    "adapter_options": "{}",
    "timeout_seconds": "40",
    "translations-TOTAL_FORMS": "1",
    "translations-INITIAL_FORMS": "0",
    "translations-MIN_NUM_FORMS": "0",
    "translations-MAX_NUM_FORMS": "1000",
    "translations-0-language": "fr",
    "translations-0-title": "Soldes : des questions ?",
    "translations-0-text": "Parlons-en.",
    "translations-0-accept_label": "Oui",
    "translations-0-reject_label": "Plus tard",
}
RULE_FORM = {
    "name": "Spring sale page",
    "enabled": "on",
    "priority": "10",
    "description": "",
    "url_pattern": "/spring",
    "event_name": "",
    "event_min_count": "1",
    "sequence": "",
    "referrer_pattern": "",
    "visitor": "",
    "identity": "",
    "device": "",
    "languages": "",
    "one_at_a_time": "unknown",
}


@pytest.fixture
def business_user(staff_client):
    return staff_client(*PERMISSIONS)


@pytest.fixture
def edits_apply_at_once(monkeypatch):
    """Every process checks for edits once a second; here, at every use."""
    forget_configuration()
    monkeypatch.setattr(config.configuration_copy, "every", 0)
    yield
    forget_configuration()


def test_a_business_user_makes_an_invitation_and_a_rule_that_work_at_once(
    business_user, edits_apply_at_once
):
    configuration()  # the rules as they were, already in memory
    created = business_user.post("/admin/invitations/invitationtemplate/add/", TEMPLATE_FORM)
    assert created.status_code == 302, created.context["adminform"].form.errors
    template = InvitationTemplate.objects.get(slug="spring-sale")
    assert template.translations.get().title == "Soldes : des questions ?"

    served = business_user.get("/server/resources/spring-sale.html?lang=fr")
    assert "Soldes : des questions ?" in served.content.decode()

    rule = business_user.post(
        "/admin/invitations/engagementrule/add/", {**RULE_FORM, "template": template.pk}
    )
    assert rule.status_code == 302, rule.context["adminform"].form.errors
    started = start_page("https://shop.example/spring")

    record_event(started, "AddToCart")

    [invitation] = Invitation.objects.filter(visit=started.visit).select_related("rule")
    assert invitation.template.slug == "spring-sale"
    assert invitation.rule is not None
    assert invitation.rule.name == "Spring sale page"


def test_the_preview_shows_unsaved_edits_as_the_visitor_would_see_them(business_user):
    form = {**TEMPLATE_FORM, "title": "Not saved yet", "text": "<script>x()</script>"}

    desktop = business_user.post(PREVIEW, form)
    mobile = business_user.post(PREVIEW, {**form, "_preview_mobile": "1"})

    html = desktop.content.decode()
    assert desktop.status_code == 200
    assert "<h1>Not saved yet</h1>" in html
    assert "&lt;script&gt;x()&lt;/script&gt;" in html  # words are text, never markup
    assert ".invitation { color: #123; }" in html
    assert '"invitation": null' in html  # a preview reports no step to the server
    assert desktop["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert "Not saved yet (mobile)" in mobile.content.decode()
    assert not InvitationTemplate.objects.filter(slug="spring-sale").exists()


def test_a_preview_of_broken_html_says_what_is_wrong(business_user):
    response = business_user.post(PREVIEW, {**TEMPLATE_FORM, "body_html": "{% if %}"})

    html = response.content.decode()
    assert response.status_code == 400
    assert "<strong>HTML</strong>: Not a valid template: Unexpected end of expression" in html


def test_the_change_form_carries_the_live_preview(business_user):
    page = business_user.get("/admin/invitations/invitationtemplate/add/")

    html = page.content.decode()
    assert f'data-gwe-preview-url="{PREVIEW}"' in html
    assert 'sandbox="allow-scripts"' in html
    assert "invitations/preview.js" in html


def test_staff_without_the_permissions_get_no_preview_and_cannot_try_rules(client):
    client.force_login(User.objects.create_user("x", password="x-pass", is_staff=True))

    assert client.post(PREVIEW, TEMPLATE_FORM).status_code == 403
    assert client.get("/admin/invitations/engagementrule/try/").status_code == 403
    assert client.get("/admin/invitations/engagementrule/add/").status_code == 403


def test_a_rule_with_a_broken_pattern_is_refused_with_a_reason(business_user):
    template = InvitationTemplate.objects.get(slug="invite")

    response = business_user.post(
        "/admin/invitations/engagementrule/add/",
        {**RULE_FORM, "template": template.pk, "url_pattern": "(unclosed"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["url_pattern"]
    assert not EngagementRule.objects.exists()


def test_an_adapter_that_is_not_configured_or_an_unknown_option_is_refused(business_user):
    unknown = business_user.post(
        "/admin/invitations/invitationtemplate/add/", {**TEMPLATE_FORM, "adapter": "genesys"}
    )
    bad_option = business_user.post(
        "/admin/invitations/invitationtemplate/add/",
        {**TEMPLATE_FORM, "adapter_options": '{"colour": "red"}'},
    )

    [not_configured] = unknown.context["adminform"].form.errors["adapter"]
    assert not_configured.startswith("No media adapter 'genesys' is configured")
    assert "colour" in bad_option.context["adminform"].form.errors["adapter_options"][0]
    assert not InvitationTemplate.objects.filter(slug="spring-sale").exists()
