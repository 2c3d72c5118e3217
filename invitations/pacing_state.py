"""A channel's pacing now: what its media adapter reports of its capacity (or the number of
slots a business user set for it), the offers pending on it, what its last hour says of
acceptance, abandonment and busyness, and what pacing allows (invitations/pacing.py).

A channel is a media adapter alias (SPEC §8). One that reports no capacity and has none set
is not paced: only its availability check holds offers back."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from invitations import pacing
from invitations.models import (
    PENDING_STATES,
    ChannelPacing,
    EngagementStatus,
    Invitation,
    InvitationState,
    PacingSample,
)
from media_adapters.base import Capacity
from media_adapters.registry import adapter_capacity, adapters

HOUR = timedelta(hours=1)
ANSWERED = (InvitationState.ACCEPTED, InvitationState.REJECTED, InvitationState.TIMED_OUT)


class UnknownChannel(Exception):
    pass


@dataclass(frozen=True)
class ChannelPace:
    channel: str
    settings: ChannelPacing
    capacity: Capacity | None  # None: nothing to pace by
    pending: int
    acceptance_rate: float
    measured: pacing.Measured
    algorithm: str
    allowed: int | None  # more offers allowed now; None: not paced

    @property
    def goal(self) -> pacing.Goal:
        return self.settings.goal

    def as_json(self) -> dict:
        """What the Pacing API answers (SPEC §8)."""
        capacity = self.capacity
        return {
            "channel": self.channel,
            "algorithm": self.algorithm,
            "agentsReady": capacity.agents_ready if capacity else None,
            "freeCapacity": capacity.free if capacity else None,
            "pendingOffers": self.pending,
            "acceptanceRate": round(self.acceptance_rate, 3),
            "allowedOffers": self.allowed,
            "optimizationTarget": self.goal.target,
            "optimizationGoal": self.goal.value,
        }

    def refusal(self) -> str | None:
        """Why no more may be offered now, or None."""
        if self.allowed is None or self.allowed > 0:
            return None
        capacity = self.capacity
        assert capacity is not None
        if capacity.agents_ready == 0:
            return f"pacing: nobody is ready on {self.channel}"
        free = _count(capacity.free, "free slot")
        return (
            f"pacing: {_count(self.pending, 'offer')} pending for {free} on {self.channel} "
            f"({self.acceptance_rate:.0%} of offers accepted lately)"
        )

    @property
    def reactive_probability(self) -> float:
        """With what probability to let a visitor-initiated engagement through now
        (`reactiveState`); 1 when the channel is not paced."""
        state = self.state()
        return 1.0 if state is None else pacing.reactive_probability(state)

    def state(self) -> pacing.ChannelState | None:
        if self.capacity is None:
            return None
        return pacing.ChannelState(
            agents_ready=self.capacity.agents_ready,
            capacity=self.capacity.slots,
            busy=self.capacity.busy,
            pending=self.pending,
            acceptance_rate=self.acceptance_rate,
            handle_seconds=self.capacity.handle_seconds or pacing.DEFAULT_HANDLE_SECONDS,
            waiting=self.capacity.waiting,
        )


def channels() -> list[str]:
    """The channels there are: every configured media adapter."""
    return sorted(adapters())


def channel_pace(channel: str, *, now: datetime | None = None) -> ChannelPace:
    """The channel's pacing now. Raises UnknownChannel."""
    if channel not in adapters():
        raise UnknownChannel(channel)
    now = now or timezone.now()
    settings = ChannelPacing.objects.filter(channel=channel).first() or ChannelPacing(
        channel=channel
    )
    offers = Invitation.objects.filter(template__adapter=channel)
    pending = offers.filter(state__in=PENDING_STATES, expires_at__gt=now).count()
    lately = offers.filter(offered_at__gte=now - HOUR).aggregate(
        answered=Count("pk", filter=Q(state__in=ANSWERED)),
        accepted=Count("pk", filter=Q(state=InvitationState.ACCEPTED)),
        nobody=Count(
            "pk", filter=Q(state=InvitationState.ACCEPTED, engagement=EngagementStatus.FAILED)
        ),
    )
    rate = pacing.learned_rate(lately["accepted"], lately["answered"])
    capacity = adapter_capacity(channel) or _configured(settings, offers, now)
    failed = lately["nobody"] / lately["accepted"] if lately["accepted"] else None
    said = capacity.abandonment if capacity else None
    measured = pacing.Measured(
        busy_factor=capacity.busy_factor if capacity else None,
        abandonment=said if said is not None else failed,
    )
    pace = ChannelPace(channel, settings, capacity, pending, rate, measured, "none", None)
    state = pace.state()
    if state is None or not settings.enabled:
        return pace
    algorithm = pacing.algorithm_for(state, settings.algorithm)
    allowed = pacing.allowed_offers(state, pacing.aimed(settings.goal, measured), algorithm)
    return replace(pace, algorithm=algorithm, allowed=allowed)


SAMPLES_KEPT = timedelta(days=1)


def pacing_sampled(now: datetime | None = None) -> int:
    """A sample of each paced channel's figures, at most one a minute whichever processes
    sweep; samples older than a day go (a sweep: GWE_SWEEPS). How many channels it sampled."""
    now = now or timezone.now()
    minute = now.replace(second=0, microsecond=0)
    PacingSample.objects.filter(at__lt=now - SAMPLES_KEPT).delete()
    written = 0
    for channel in channels():
        pace = channel_pace(channel, now=now)
        capacity = pace.capacity
        if capacity is None:
            continue
        sample = PacingSample(
            channel=channel,
            at=minute,
            agents_ready=capacity.agents_ready,
            free=capacity.free,
            busy=capacity.busy,
            pending=pace.pending,
            allowed=pace.allowed,
            acceptance_rate=pace.acceptance_rate,
        )
        # Another process may have sampled this minute already: the first one stays.
        PacingSample.objects.bulk_create([sample], ignore_conflicts=True)
        written += 1
    return written


def last_hour(channel: str, now: datetime | None = None) -> list[PacingSample]:
    now = now or timezone.now()
    return list(PacingSample.objects.filter(channel=channel, at__gte=now - HOUR, at__lte=now))


def pacing_said(channel: str) -> str | None:
    """Why pacing would hold an offer on the channel back now, or None (an unknown alias is
    refused as unavailable before pacing is asked)."""
    if channel not in adapters():
        return None
    return channel_pace(channel).refusal()


def pacing_refusal(channel: str) -> str | None:
    """`pacing_said`, in the offer's transaction with the channel's row locked: offers on one
    channel are decided one at a time, in every process, each seeing those before it."""
    if channel in adapters():
        ChannelPacing.objects.get_or_create(channel=channel)
        ChannelPacing.objects.select_for_update().filter(channel=channel).first()
    return pacing_said(channel)


def _configured(settings: ChannelPacing, offers, now: datetime) -> Capacity | None:
    """For an adapter that cannot say: the slots a business user set, the conversations
    in progress taken as the invitations accepted less than an average conversation ago."""
    if not settings.slots:
        return None
    handle = settings.handle_seconds or pacing.DEFAULT_HANDLE_SECONDS
    busy = offers.filter(
        state=InvitationState.ACCEPTED, ended_at__gte=now - timedelta(seconds=handle)
    ).count()
    return Capacity(
        agents_ready=settings.slots, slots=settings.slots, busy=busy, handle_seconds=handle
    )


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"
