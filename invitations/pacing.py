"""Pacing: how many invitations a channel may have out at once, so that the visitors who
accept find someone to answer and the agents are neither idle nor swamped (SPEC §8).

An offer is accepted with probability p (learned from the channel's recent offers). With n
offers out, the accepts are binomial, X ~ B(n, p); the slots there will be to answer them
are A. Pacing picks the largest n for which the channel's goal holds:

- `ABANDONMENT_RATE`: the expected share of accepts that find nobody, E[max(0, X - A)] / E[X],
  stays at or under the goal (default 3 %);
- `BUSY_FACTOR`: the expected share of the agents' capacity in use once they are answered
  stays at or under the goal (say 80 %): as busy as asked, no busier.

*Progressive* pacing (small teams) counts only the slots free now: A = free. *Predictive*
pacing (30 agents or more, or when chosen) also counts the chats expected to end while an
offer waits for its answer, from the average handle time: each of the `busy` chats ends
before an offer out now is accepted (on average half the answer time t from now) with
probability q = 1 - e^(-t / 2 / handle), so A = free + B(busy, q) - the visitors waiting.

Pure functions of a channel's state: invitations/pacing_state.py reads the state, the
simulation in tests/bench/pacing.py drives them."""

import math
from dataclasses import dataclass
from functools import lru_cache

ABANDONMENT_RATE = "ABANDONMENT_RATE"
BUSY_FACTOR = "BUSY_FACTOR"
TARGETS = (ABANDONMENT_RATE, BUSY_FACTOR)
DEFAULT_GOALS = {ABANDONMENT_RATE: 0.03, BUSY_FACTOR: 0.80}

PROGRESSIVE = "progressive"
PREDICTIVE = "predictive"
AUTO = "auto"
PREDICTIVE_FROM_AGENTS = 30  # GWE 8.5: SUPER_PROGRESSIVE for small groups, PREDICTIVE_B from 30

# What an acceptance rate is believed to be before any offer was answered, and how much that
# belief weighs (as this many offers): a new channel neither floods nor starves its agents.
PRIOR_RATE = 0.3
PRIOR_WEIGHT = 10
DEFAULT_HANDLE_SECONDS = 300.0  # an engagement's length, until the channel's own is known
LOWEST_RATE = 0.02  # no channel is paced as if nobody ever accepted
MOST_OFFERS = 1000  # per channel at once, whatever the figures say
# Aiming at a busy factor, no more offers than would leave this share of accepts unanswered:
# past the slots there are, more offers make nobody busier.
BUSY_CEILING = 0.15


@dataclass(frozen=True)
class ChannelState:
    """A channel now. Capacity counts chat slots: an agent with room for 3 chats is 3."""

    agents_ready: int  # agents who take engagements now
    capacity: int  # all their slots
    busy: int  # slots in use (engagements in progress)
    pending: int  # offers out, not yet accepted, rejected or timed out
    acceptance_rate: float  # of offers answered lately, how many were accepted
    handle_seconds: float = DEFAULT_HANDLE_SECONDS  # an engagement's average length
    answer_seconds: float = 15.0  # an accepted offer's average time from offer to accept
    waiting: int = 0  # visitors who accepted and wait for an agent: served first

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.busy)


@dataclass(frozen=True)
class Goal:
    target: str = ABANDONMENT_RATE
    value: float = DEFAULT_GOALS[ABANDONMENT_RATE]


@dataclass(frozen=True)
class Measured:
    """What the channel's last hour was: the share of its capacity in use, and of its
    accepts that found nobody (None: nothing to go by yet)."""

    busy_factor: float | None = None
    abandonment: float | None = None


# How far the goal aimed at moves per point the last hour missed it by. The model's figures
# are of the moment the accepts come in; an hour's average differs from them (a slot waits
# empty between one chat and the next accept), and the correction closes the gap.
CORRECTION = 2.0


def aimed(goal: Goal, measured: Measured) -> Goal:
    """The goal to aim at now so that what is measured comes to the goal (bounded: at most
    three times a rate of abandonment, at most all the capacity)."""
    if goal.target == BUSY_FACTOR and measured.busy_factor is not None:
        value = goal.value + CORRECTION * (goal.value - measured.busy_factor)
        return Goal(goal.target, min(1.0, max(goal.value / 2, value)))
    if goal.target == ABANDONMENT_RATE and measured.abandonment is not None:
        value = goal.value + CORRECTION * (goal.value - measured.abandonment)
        return Goal(goal.target, min(goal.value * 3, max(goal.value / 3, value)))
    return goal


def algorithm_for(state: ChannelState, chosen: str = AUTO) -> str:
    if chosen != AUTO:
        return chosen
    return PREDICTIVE if state.agents_ready >= PREDICTIVE_FROM_AGENTS else PROGRESSIVE


def allowed_offers(state: ChannelState, goal: Goal, algorithm: str = AUTO) -> int:
    """How many more offers the channel may make now (0 when none)."""
    if state.agents_ready == 0 or state.capacity == 0:
        return 0
    predictive = algorithm_for(state, algorithm) == PREDICTIVE
    ending = ending_probability(state) if predictive else 0.0
    most = most_outstanding(
        free=state.free,
        busy=state.busy,
        waiting=state.waiting,
        ending=round(ending, 3),
        rate=round(max(LOWEST_RATE, min(1.0, state.acceptance_rate)), 3),
        capacity=state.capacity,
        target=goal.target,
        goal=round(goal.value, 4),
    )
    return max(0, most - state.pending)


def ending_probability(state: ChannelState) -> float:
    """That a chat in progress ends before an offer out now is accepted: an offer out has,
    on average, half its answer time still to go."""
    if state.handle_seconds <= 0:
        return 1.0
    return 1.0 - math.exp(-state.answer_seconds / 2 / state.handle_seconds)


@lru_cache(maxsize=65536)
def most_outstanding(
    *,
    free: int,
    busy: int,
    waiting: int,
    ending: float,
    rate: float,
    capacity: int,
    target: str,
    goal: float,
) -> int:
    """The most offers that may be out at once for the goal to hold (ending = 0: progressive,
    which counts on no chat ending)."""
    slots = _slots_pmf(free, busy, ending, waiting)
    still_busy = busy * (1 - ending)  # of what is busy now, what will be when accepts come

    def holds(n: int) -> bool:
        accepts = _binomial_pmf(n, rate)
        expected = n * rate
        short = _expected_excess(accepts, slots)
        abandoned = short / expected if expected else 0.0
        if target == ABANDONMENT_RATE:
            return abandoned <= goal
        answered = expected - short
        return still_busy + answered <= goal * capacity + 1e-9 and abandoned <= BUSY_CEILING

    # holds(n) only gets harder as n grows: the largest n for which it holds.
    low, high = 0, 1
    while high < MOST_OFFERS and holds(high):
        low, high = high, high * 2
    high = min(high, MOST_OFFERS)
    if holds(high):
        return high
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if holds(middle) else (low, middle)
    return low


def reactive_probability(state: ChannelState) -> float:
    """With what probability a visitor-initiated engagement should be let through now: the
    share of a slot left once the pending offers' expected accepts are answered."""
    if state.agents_ready == 0:
        return 0.0
    left = state.free - state.pending * max(LOWEST_RATE, min(1.0, state.acceptance_rate))
    return round(max(0.0, min(1.0, left)), 3)


def learned_rate(accepted: float, answered: float) -> float:
    """The acceptance rate from (decayed) counts of accepted and answered offers, with the
    prior's weight: PRIOR_RATE until offers are answered, then more and more what they say."""
    return (accepted + PRIOR_RATE * PRIOR_WEIGHT) / (answered + PRIOR_WEIGHT)


@lru_cache(maxsize=4096)
def _binomial_pmf(n: int, p: float) -> tuple[float, ...]:
    if n == 0:
        return (1.0,)
    if p >= 1.0:
        return (0.0,) * n + (1.0,)
    q = 1.0 - p
    pmf = [q**n]
    for k in range(1, n + 1):
        pmf.append(pmf[-1] * (n - k + 1) / k * p / q)
    total = sum(pmf)
    return tuple(x / total for x in pmf)


@lru_cache(maxsize=4096)
def _slots_pmf(free: int, busy: int, ending: float, waiting: int = 0) -> tuple[float, ...]:
    """The distribution of the slots there will be for new accepts: free now, plus the busy
    ones that end, less those the visitors already waiting take first."""
    ended = _binomial_pmf(busy, ending) if busy else (1.0,)
    slots = (0.0,) * free + ended
    if waiting <= 0:
        return slots
    return (sum(slots[: waiting + 1]), *slots[waiting + 1 :])


def _expected_excess(accepts: tuple[float, ...], slots: tuple[float, ...]) -> float:
    """E[max(0, X - A)] = Σ_x P(X = x) Σ_{j<x} P(A ≤ j)."""
    below = _cumulative(slots)
    total, running = 0.0, 0.0  # running: Σ_{j<x} P(A ≤ j)
    for x, px in enumerate(accepts):
        total += px * running
        running += below[x] if x < len(below) else 1.0
    return total


def _expected_min(accepts: tuple[float, ...], slots: tuple[float, ...]) -> float:
    """E[min(X, A)] = E[X] - E[max(0, X - A)]."""
    expected = sum(x * px for x, px in enumerate(accepts))
    return expected - _expected_excess(accepts, slots)


def _cumulative(pmf: tuple[float, ...]) -> list[float]:
    total, out = 0.0, []
    for p in pmf:
        total += p
        out.append(total)
    return out
