"""A rule invites no one while nobody can answer its invitation: its page and the list of
rules say so, and what to do about it, where the business user looks."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone
from django.utils.html import strip_tags

from invitations import admin_explain
from invitations.models import InvitationTemplate
from media_adapters.gwe_chat.models import AgentStatus
from tests.support.factories import rule

pytestmark = pytest.mark.django_db

RULES = "/admin/invitations/engagementrule/"
# The real chat behind the shipped alias (the test settings have in-memory adapters).
BUILT_IN_CHAT = {
    "gwe-chat": {"BACKEND": "media_adapters.gwe_chat.adapter.GweChatAdapter", "OPTIONS": {}},
    "gms": {"BACKEND": "media_adapters.memory.InMemoryAdapter", "OPTIONS": {"available": False}},
}
NOBODY_ON_CHAT = (
    "Nobody is available to answer on gwe-chat: this rule invites no one until an agent opens "
    'the <a href="/agent/">agent console (/agent/)</a> and clicks Available.'
)


@pytest.fixture
def built_in_chat(settings):
    settings.GWE_MEDIA_ADAPTERS = BUILT_IN_CHAT


@pytest.fixture
def business_user(staff_client):
    return staff_client("view_engagementrule", "change_engagementrule", "add_engagementrule")


def agent_available(username: str = "ann", *, seen_ago: float = 0) -> User:
    """An agent who clicked Available in the console, which last answered `seen_ago` s ago."""
    user = User.objects.create_user(username, password="x-pass")
    user.groups.add(Group.objects.get_or_create(name="agents")[0])
    AgentStatus.objects.create(
        user=user, available=True, last_seen=timezone.now() - timedelta(seconds=seen_ago)
    )
    return user


def rule_page(client, made) -> str:
    response = client.get(f"{RULES}{made.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_rules_page_says_nobody_answers_and_what_to_do(business_user, built_in_chat):
    made = rule("Pricing page")

    html = rule_page(business_user, made)

    assert "Answering now" in html
    assert NOBODY_ON_CHAT in html


def test_a_rules_page_says_someone_answers_once_an_agent_is_available(business_user, built_in_chat):
    made = rule("Pricing page")
    agent_available()

    html = rule_page(business_user, made)

    assert "Yes: someone is available to answer on gwe-chat." in html
    assert "Nobody is available" not in html


def test_an_agent_whose_console_went_quiet_does_not_count(business_user, built_in_chat):
    made = rule("Pricing page")
    agent_available(seen_ago=120)  # Available, but the console stopped answering

    assert NOBODY_ON_CHAT in rule_page(business_user, made)


def test_the_list_of_rules_says_which_can_invite_now(business_user, built_in_chat):
    rule("On chat")
    rule("On GMS", template="inviteGMS")

    nobody = business_user.get(RULES).content.decode()
    agent_available()
    someone = business_user.get(RULES).content.decode()

    assert "answering now" in nobody.lower()
    assert 'Nobody on gwe-chat: no agent is <a href="/agent/">Available</a>.' in nobody
    assert f'title="{strip_tags(NOBODY_ON_CHAT)}"' in nobody  # the whole sentence, on hover
    assert "Yes, on gwe-chat." in someone
    assert someone.count("Nobody on gms.") == 1  # another adapter: its alias


def test_another_adapters_rule_names_the_alias(business_user, built_in_chat):
    made = rule("On GMS", template="inviteGMS")

    html = rule_page(business_user, made)

    assert (
        "Nobody is available to answer on gms: this rule invites no one until gms says "
        "someone is." in html
    )


def test_a_disabled_rule_or_invitation_says_so_instead(business_user, built_in_chat):
    agent_available()
    off = rule("Switched off", enabled=False)
    template_off = rule("Template off", template="invite-callback")
    InvitationTemplate.objects.filter(slug="invite-callback").update(enabled=False)

    assert "This rule is disabled." in rule_page(business_user, off)
    assert "Its invitation Callback invitation (invite-callback) is disabled: this rule " in (
        rule_page(business_user, template_off)
    )
    listed = business_user.get(RULES).content.decode()
    assert "This rule is disabled." in listed
    assert "Its invitation is disabled." in listed


def test_the_list_asks_each_adapter_once_however_many_rules_share_it(
    business_user, built_in_chat, monkeypatch
):
    for n in range(5):
        rule(f"Chat {n}")
    rule("GMS", template="inviteGMS")
    asked = []
    real = admin_explain.adapter_available

    def counted(alias, options=None):
        asked.append(alias)
        return real(alias, options)

    monkeypatch.setattr(admin_explain, "adapter_available", counted)

    business_user.get(RULES)

    assert sorted(asked) == ["gms", "gwe-chat"]


def test_a_new_rule_says_it_will_tell_once_saved(business_user):
    html = business_user.get(f"{RULES}add/").content.decode()

    assert "Said here once the rule is saved." in html
