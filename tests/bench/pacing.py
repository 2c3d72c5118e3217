"""Pacing, simulated: thousands of minutes of a contact center in seconds of wall time.

Agents (one chat each here) handle engagements whose length is exponential (mean
HANDLE_SECONDS). Visitors whom a rule would invite arrive at random (Poisson), more than
the agents could answer (LOAD times their capacity). An invited visitor accepts with
probability ACCEPT after 3 to 27 s, or declines (or lets the offer time out) after 3 to 30 s.
A visitor who accepts and finds nobody free counts as abandoned (SPEC §8); they then wait up
to a patience of about a minute for the next free agent ("waited"), or leave unanswered.

Compared, at 3, 10 and 50 agents: no pacing (every such visitor invited), today's check
before pacing (invite while a slot is free now, pending offers reserve nothing), progressive
and predictive pacing (invitations/pacing.py), each with the ABANDONMENT_RATE goal of 3 % and
the BUSY_FACTOR goal of 80 %. The acceptance rate pacing uses is learned as it goes, from
the offers answered (invitations/pacing.learned_rate, decayed with a half-life of an hour).

    python -m tests.bench.run pacing     (BENCH_PACING_MINUTES, default 3000)
"""

import heapq
import itertools
import math
import os
import random
from dataclasses import dataclass, field

from invitations import pacing

MINUTES = float(os.environ.get("BENCH_PACING_MINUTES", "3000"))
TEAMS = [int(n) for n in os.environ.get("BENCH_PACING_TEAMS", "3,10,50").split(",")]
HANDLE_SECONDS = 180.0
ACCEPT = 0.3
LOAD = float(os.environ.get("BENCH_PACING_LOAD", "3"))
PATIENCE_SECONDS = 60.0
HALF_LIFE_SECONDS = 3600.0
WARM_UP_SECONDS = 1800.0  # not counted: the learned rate settles


@dataclass
class Tally:
    offers: int = 0
    accepted: int = 0
    found_nobody: int = 0
    waited: int = 0
    unanswered: int = 0
    busy_seconds: float = 0.0
    seconds: float = 0.0


@dataclass
class Center:
    agents: int
    decide: object  # (center) -> bool: invite the visitor arriving now?
    rng: random.Random
    now: float = 0.0
    busy: int = 0
    pending: int = 0
    queue: list = field(default_factory=list)  # (gave up at, visitor id) of those waiting
    accepted_weight: float = 0.0
    answered_weight: float = 0.0
    last_decay: float = 0.0
    # The last hour, decayed: busy slot-seconds of capacity-seconds, accepts that found
    # nobody of accepts (what the channel's pacing measures of itself).
    busy_weight: float = 0.0
    seconds_weight: float = 0.0
    nobody_weight: float = 0.0
    accepts_weight: float = 0.0
    last_measure: float = 0.0
    tally: Tally = field(default_factory=Tally)

    @property
    def counted(self) -> bool:
        return self.now >= WARM_UP_SECONDS

    def rate(self) -> float:
        return pacing.learned_rate(self.accepted_weight, self.answered_weight)

    def answered(self, accepted: bool) -> None:
        decay = 0.5 ** ((self.now - self.last_decay) / HALF_LIFE_SECONDS)
        self.accepted_weight = self.accepted_weight * decay + accepted
        self.answered_weight = self.answered_weight * decay + 1
        self.last_decay = self.now

    def measure(self, *, nobody: bool | None = None) -> None:
        elapsed = self.now - self.last_measure
        decay = 0.5 ** (elapsed / HALF_LIFE_SECONDS)
        self.busy_weight = self.busy_weight * decay + self.busy * elapsed
        self.seconds_weight = self.seconds_weight * decay + self.agents * elapsed
        self.nobody_weight *= decay
        self.accepts_weight *= decay
        if nobody is not None:
            self.nobody_weight += nobody
            self.accepts_weight += 1
        self.last_measure = self.now

    def measured(self) -> pacing.Measured:
        return pacing.Measured(
            busy_factor=self.busy_weight / self.seconds_weight if self.seconds_weight else None,
            abandonment=self.nobody_weight / self.accepts_weight if self.accepts_weight else None,
        )

    def state(self) -> pacing.ChannelState:
        return pacing.ChannelState(
            agents_ready=self.agents,
            capacity=self.agents,
            busy=self.busy,
            pending=self.pending,
            acceptance_rate=self.rate(),
            handle_seconds=HANDLE_SECONDS,
            answer_seconds=15.0,
            waiting=len(self.queue),
        )


def simulate(agents: int, decide, *, seed: int = 7) -> Tally:
    rng = random.Random(seed)
    center = Center(agents=agents, decide=decide, rng=rng)
    events: list = []
    order = itertools.count()

    def at(when: float, kind: str, data=None) -> None:
        heapq.heappush(events, (when, next(order), kind, data))

    arrivals = LOAD * agents / HANDLE_SECONDS / ACCEPT
    end = WARM_UP_SECONDS + MINUTES * 60
    at(rng.expovariate(arrivals), "arrive")
    visitors = itertools.count()
    while events:
        when, _, kind, data = heapq.heappop(events)
        if when > end:
            break
        if center.counted:
            counted_from = max(center.now, WARM_UP_SECONDS)
            center.tally.busy_seconds += center.busy * (when - counted_from)
            center.tally.seconds += when - counted_from
        center.now = when
        center.measure()
        if kind == "arrive":
            at(when + rng.expovariate(arrivals), "arrive")
            if decide(center):
                center.pending += 1
                center.tally.offers += center.counted
                if rng.random() < ACCEPT:
                    at(when + rng.uniform(3, 27), "accept", next(visitors))
                else:
                    at(when + rng.uniform(3, 30), "decline")
        elif kind == "decline":
            center.pending -= 1
            center.answered(False)
        elif kind == "accept":
            center.pending -= 1
            center.answered(True)
            center.tally.accepted += center.counted
            center.measure(nobody=center.busy >= agents)
            if center.busy < agents:
                center.busy += 1
                at(when + rng.expovariate(1 / HANDLE_SECONDS), "done")
            else:
                center.tally.found_nobody += center.counted
                patience = when + rng.expovariate(1 / PATIENCE_SECONDS)
                center.queue.append((patience, data, center.counted))
                at(patience, "give up", data)
        elif kind == "give up":
            waiting = [w for w in center.queue if w[1] == data]
            if waiting:
                center.queue.remove(waiting[0])
                center.tally.unanswered += waiting[0][2]
        elif kind == "done":
            center.busy -= 1
            if center.queue:
                _, _, counted = center.queue.pop(0)
                center.tally.waited += counted
                center.busy += 1
                at(when + rng.expovariate(1 / HANDLE_SECONDS), "done")
    return center.tally


def no_pacing(center: Center) -> bool:
    return True


def todays_check(center: Center) -> bool:
    return center.busy < center.agents


def paced(algorithm: str, goal: pacing.Goal):
    def decide(center: Center) -> bool:
        aimed = pacing.aimed(goal, center.measured())
        return pacing.allowed_offers(center.state(), aimed, algorithm) >= 1

    return decide


def policies() -> list[tuple[str, str, object]]:
    abandonment = pacing.Goal(pacing.ABANDONMENT_RATE, 0.03)
    busy = pacing.Goal(pacing.BUSY_FACTOR, 0.80)
    return [
        ("no pacing", "", no_pacing),
        ("today (a slot free now)", "", todays_check),
        ("progressive", "ABANDONMENT_RATE 3 %", paced(pacing.PROGRESSIVE, abandonment)),
        ("progressive", "BUSY_FACTOR 80 %", paced(pacing.PROGRESSIVE, busy)),
        ("predictive", "ABANDONMENT_RATE 3 %", paced(pacing.PREDICTIVE, abandonment)),
        ("predictive", "BUSY_FACTOR 80 %", paced(pacing.PREDICTIVE, busy)),
    ]


def run() -> list[dict]:
    rows = []
    for agents in TEAMS:
        for name, goal, decide in policies():
            tally = simulate(agents, decide)
            accepted = max(1, tally.accepted)
            rows.append(
                {
                    "agents": agents,
                    "pacing": name,
                    "goal": goal or "-",
                    "offers": tally.offers,
                    "accepted": tally.accepted,
                    "abandonment_pct": round(100 * tally.found_nobody / accepted, 1),
                    "busy_pct": round(100 * tally.busy_seconds / tally.seconds / agents, 1),
                    "waited_pct": round(100 * tally.waited / accepted, 1),
                    "unanswered_pct": round(100 * tally.unanswered / accepted, 1),
                }
            )
            print(rows[-1], flush=True)
    return rows


if __name__ == "__main__":
    assert math.isfinite(MINUTES)
    run()
