"""The engagement webhook, received by a real HTTP server that checks the signature as an
external strategy would."""

import pytest

from invitations import webhook
from invitations.config import forget_configuration
from invitations.models import (
    EngagementDecision,
    EngagementPolicy,
    EngagementRule,
    Invitation,
    InvitationTemplate,
)
from tests.support.factories import record_event, start_page
from tests.support.fake_http import FakeHttpServer, Reply

SECRET = "strategy-shared-secret"


@pytest.fixture
def strategy(settings):
    settings.GWE_WEBHOOK_SECRET = SECRET
    settings.GWE_WEBHOOK_TIMEOUT_SECONDS = 0.3
    server = FakeHttpServer(secret=SECRET)
    yield server
    server.close()


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch):
    monkeypatch.setattr(webhook, "BACKOFF_SECONDS", 0.01)


@pytest.fixture
def webhook_policy(strategy):
    def configure(mode: str) -> None:
        EngagementPolicy.objects.filter(pk=1).update(mode=mode, webhook_url=strategy.url + "/rm")
        EngagementRule.objects.create(
            name="Cart",
            event_name="AddToCart",
            template=InvitationTemplate.objects.get(slug="invite"),
        )
        forget_configuration()

    yield configure
    forget_configuration()


@pytest.mark.django_db
def test_an_external_strategy_is_told_of_a_matched_rule_and_nothing_is_offered(
    strategy, webhook_policy, django_capture_on_commit_callbacks
):
    webhook_policy(EngagementPolicy.Mode.EXTERNAL)
    started = start_page("https://shop.example/cart")

    with django_capture_on_commit_callbacks(execute=True):
        record_event(started, "AddToCart")

    [received] = strategy.wait_for(1)
    assert strategy.signed(received)
    assert received.path == "/rm"
    assert received.json() == {
        "type": "RuleMatched",
        "visitID": started.visit.pk,
        "pageID": started.page.pk,
        "globalVisitID": started.visit.global_visit_id,
        "identityID": None,
        "event": "AddToCart",
        "url": "https://shop.example/cart",
        "rules": [{"name": "Cart", "template": "invite", "priority": 0}],
        "offered": None,
    }
    assert not Invitation.objects.exists()
    [decision] = EngagementDecision.objects.all()
    assert decision.reasons[0]["why"] == "an external strategy decides (webhook)"


@pytest.mark.django_db
def test_with_the_built_in_policy_the_webhook_hears_what_was_offered(
    strategy, webhook_policy, django_capture_on_commit_callbacks
):
    webhook_policy(EngagementPolicy.Mode.BUILT_IN)
    started = start_page()

    with django_capture_on_commit_callbacks(execute=True):
        record_event(started, "AddToCart")

    [received] = strategy.wait_for(1)
    assert received.json()["offered"] == Invitation.objects.get().pk


def test_a_server_error_and_a_timeout_are_retried_until_it_answers(strategy):
    strategy.reply(Reply(503), Reply(200, delay=1.0), Reply(204))

    assert webhook.deliver(strategy.url, {"type": "RuleMatched"}) is True

    assert len(strategy.wait_for(3)) == 3
    assert all(strategy.signed(r) for r in strategy.received)


def test_a_refusal_is_not_retried(strategy):
    strategy.reply(Reply(422, {"error": "unknown visit"}))

    assert webhook.deliver(strategy.url, {"type": "RuleMatched"}) is False

    assert len(strategy.received) == 1


def test_a_server_that_keeps_failing_is_given_up_after_three_attempts(strategy):
    strategy.reply(*[Reply(500)] * 5)

    assert webhook.deliver(strategy.url, {"type": "RuleMatched"}) is False

    assert len(strategy.received) == webhook.ATTEMPTS == 3


def test_a_wrong_secret_is_refused_by_the_receiver(strategy, settings):
    settings.GWE_WEBHOOK_SECRET = "not-the-shared-secret"

    assert webhook.deliver(strategy.url, {"type": "RuleMatched"}) is False

    [received] = strategy.received
    assert not strategy.signed(received)


def test_an_unreachable_strategy_costs_three_attempts_and_nothing_else(settings):
    settings.GWE_WEBHOOK_TIMEOUT_SECONDS = 0.3
    closed = FakeHttpServer()
    closed.close()

    assert webhook.deliver(closed.url, {"type": "RuleMatched"}) is False
