"""Pacing on scripted histories: capacity that changes, acceptance rates that drift, agents
who leave; and each goal held exactly where the figures say."""

from dataclasses import replace

import pytest

from invitations import pacing
from invitations.pacing import (
    ABANDONMENT_RATE,
    BUSY_FACTOR,
    PREDICTIVE,
    PROGRESSIVE,
    ChannelState,
    Goal,
    Measured,
    aimed,
    allowed_offers,
    learned_rate,
    reactive_probability,
)

THREE_PERCENT = Goal(ABANDONMENT_RATE, 0.03)
EIGHTY_BUSY = Goal(BUSY_FACTOR, 0.80)


def channel(**changes) -> ChannelState:
    state = dict(agents_ready=5, capacity=5, busy=0, pending=0, acceptance_rate=0.3)
    return ChannelState(**{**state, **changes})


def expected_abandonment(n: int, state: ChannelState, *, predictive: bool) -> float:
    """E[max(0, X - A)] / E[X], summed outright over both distributions."""
    ending = pacing.ending_probability(state) if predictive else 0.0
    accepts = pacing._binomial_pmf(n, state.acceptance_rate)
    slots = pacing._slots_pmf(state.free, state.busy, round(ending, 3))
    short = sum(
        px * pa * max(0, x - a) for x, px in enumerate(accepts) for a, pa in enumerate(slots)
    )
    return short / (n * state.acceptance_rate)


def test_nobody_ready_means_no_offer():
    assert allowed_offers(channel(agents_ready=0, capacity=0), THREE_PERCENT) == 0
    assert reactive_probability(channel(agents_ready=0, capacity=0)) == 0.0


@pytest.mark.parametrize("algorithm", [PROGRESSIVE, PREDICTIVE])
def test_the_most_offers_out_keep_abandonment_at_the_goal_and_one_more_would_not(algorithm):
    state = channel(capacity=10, agents_ready=10, busy=6, acceptance_rate=0.25)
    most = allowed_offers(state, THREE_PERCENT, algorithm)

    assert most > 0
    predictive = algorithm == PREDICTIVE
    assert expected_abandonment(most, state, predictive=predictive) <= 0.03
    assert expected_abandonment(most + 1, state, predictive=predictive) > 0.03


def test_pending_offers_reserve_what_they_may_take():
    alone = allowed_offers(channel(), THREE_PERCENT)

    assert allowed_offers(channel(pending=2), THREE_PERCENT) == alone - 2
    assert allowed_offers(channel(pending=alone + 5), THREE_PERCENT) == 0


def test_capacity_filling_up_and_agents_leaving_allow_fewer_offers():
    history = [
        channel(capacity=10, agents_ready=10, busy=0),
        channel(capacity=10, agents_ready=10, busy=5),  # chats start
        channel(capacity=10, agents_ready=10, busy=9),
        channel(capacity=4, agents_ready=4, busy=4),  # six agents leave
    ]

    allowed = [allowed_offers(state, THREE_PERCENT, PROGRESSIVE) for state in history]

    assert allowed[0] > allowed[1] > allowed[2] > allowed[3] == 0


def test_the_fewer_accept_the_more_are_invited_for_the_same_free_slots():
    declining = [learned_rate(accepted, 40) for accepted in (20, 10, 4)]  # 50 %, 25 %, 10 %

    allowed = [allowed_offers(channel(acceptance_rate=r), THREE_PERCENT) for r in declining]

    assert declining == sorted(declining, reverse=True)
    assert allowed == sorted(allowed)
    assert allowed[0] < allowed[-1]


def test_the_rate_starts_at_the_prior_and_follows_what_visitors_do():
    assert learned_rate(0, 0) == pacing.PRIOR_RATE
    assert learned_rate(900, 1000) == pytest.approx(0.9, abs=0.01)
    assert learned_rate(0, 1000) == pytest.approx(0.0, abs=0.01)


def test_predictive_pacing_counts_the_chats_that_will_end_meanwhile():
    full = channel(capacity=30, agents_ready=30, busy=30)

    assert allowed_offers(full, THREE_PERCENT, PROGRESSIVE) == 0
    short_chats = allowed_offers(replace(full, handle_seconds=60), THREE_PERCENT, PREDICTIVE)
    long_chats = allowed_offers(replace(full, handle_seconds=3600), THREE_PERCENT, PREDICTIVE)
    assert short_chats > long_chats >= 0
    assert pacing.algorithm_for(full) == PREDICTIVE  # 30 agents: predictive by itself
    assert pacing.algorithm_for(channel()) == PROGRESSIVE


def test_a_busy_factor_goal_fills_the_capacity_to_it_and_no_further():
    state = channel(capacity=10, agents_ready=10, busy=5)
    most = allowed_offers(state, EIGHTY_BUSY, PROGRESSIVE)
    accepts = pacing._binomial_pmf(most, state.acceptance_rate)
    answered = sum(px * min(x, state.free) for x, px in enumerate(accepts))

    assert state.busy + answered <= 0.8 * state.capacity
    assert allowed_offers(channel(capacity=10, agents_ready=10, busy=8), EIGHTY_BUSY) == 0


def test_the_goal_aimed_at_moves_by_what_the_last_hour_missed():
    assert aimed(EIGHTY_BUSY, Measured(busy_factor=0.74)).value == pytest.approx(0.92)
    assert aimed(EIGHTY_BUSY, Measured(busy_factor=0.95)).value == pytest.approx(0.50)
    assert aimed(EIGHTY_BUSY, Measured(busy_factor=0.10)).value == 1.0
    assert aimed(THREE_PERCENT, Measured(abandonment=0.01)).value == pytest.approx(0.07)
    assert aimed(THREE_PERCENT, Measured(abandonment=0.50)).value == pytest.approx(0.01)
    assert aimed(THREE_PERCENT, Measured()) == THREE_PERCENT


def test_visitor_initiated_engagements_get_what_the_pending_offers_leave():
    assert reactive_probability(channel(busy=0, pending=0)) == 1.0
    assert reactive_probability(channel(busy=4, pending=2)) == pytest.approx(0.4)
    assert reactive_probability(channel(busy=5)) == 0.0


def test_visitors_already_waiting_take_the_slots_first():
    none_waiting = allowed_offers(channel(busy=2), THREE_PERCENT)

    assert allowed_offers(channel(busy=2, waiting=1), THREE_PERCENT) < none_waiting
    assert allowed_offers(channel(busy=2, waiting=3), THREE_PERCENT) == 0
