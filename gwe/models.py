"""What the tracker reports: visitors' visits, the pages they view, the events on them; and
the business events it watches for by itself (business-event definitions, edited in the admin)."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils import timezone

from gwe.ids import ID_LENGTH, new_id
from gwe.validators import validate_event_name, validate_regex


class EventType(models.TextChoices):
    SYSTEM = "SYSTEM"
    BUSINESS = "BUSINESS"


# The events the server records itself (the visit's start, a page's, the invitations' and
# engagements' history): a page may not send one of these names, whatever its type.
SERVER_EVENTS = frozenset(
    {
        "VisitStarted",
        "PageEntered",
        "InvitationOffered",
        "InvitationShown",
        "InvitationAccepted",
        "InvitationRejected",
        "InvitationTimedOut",
        "InvitationExpired",
        "InvitationCancelled",
        "EngagementStarted",
        "EngagementFailed",
    }
)


class Identity(models.Model):
    """A person the customer's site knows, from a SignIn or UserInfo event."""

    id = models.CharField("identity ID", primary_key=True, max_length=190)
    attributes = models.JSONField(default=dict, blank=True)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "identities"
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return self.id


def presence_cutoff(now=None):
    """A page seen live since then is still there: its live channel is open, or closed less
    than GWE_PRESENCE_GRACE_SECONDS ago (a reconnect, the next page loading)."""
    return (now or timezone.now()) - timedelta(seconds=settings.GWE_PRESENCE_GRACE_SECONDS)


class VisitQuerySet(models.QuerySet):
    def active(self, now=None):
        """The visits that go on: not ended, and active within GWE_VISIT_TIMEOUT_SECONDS (a
        visitor who comes back by then is in the same visit)."""
        cutoff = (now or timezone.now()) - timedelta(seconds=settings.GWE_VISIT_TIMEOUT_SECONDS)
        return self.filter(end_time__isnull=True, last_activity__gt=cutoff)

    def on_site(self, now=None):
        """The visits with a page open now."""
        return self.filter(Exists(Page.objects.live(now).filter(visit=OuterRef("pk"))))


class Visit(models.Model):
    """One browser session on the customer's site: all tabs share it."""

    id = models.CharField(
        "visit ID", primary_key=True, max_length=ID_LENGTH, default=new_id, editable=False
    )
    global_visit_id = models.CharField("global visit ID", max_length=ID_LENGTH, db_index=True)
    identity = models.ForeignKey(
        Identity, null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    start_time = models.DateTimeField(default=timezone.now, db_index=True)
    last_activity = models.DateTimeField(default=timezone.now)
    end_time = models.DateTimeField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    language_code = models.CharField(max_length=35, blank=True)
    # Bumped by the database whenever an event of the visit is stored or deleted (a trigger,
    # migration 0005): how the rules' in-process copy of a visit knows it is up to date
    # (invitations/memory.py). Never written by the application.
    events_version = models.BigIntegerField(default=0, editable=False)

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["-start_time"]

    def __str__(self) -> str:
        return self.id

    def expires_at(self):
        return self.last_activity + timedelta(seconds=settings.GWE_VISIT_TIMEOUT_SECONDS)

    def is_active(self, now=None) -> bool:
        return self.end_time is None and (now or timezone.now()) < self.expires_at()

    def is_on_site(self, now=None) -> bool:
        """Whether a page of the visit is open now (a tab, its live channel)."""
        return Page.objects.live(now).filter(visit_id=self.pk).exists()

    def effective_end_time(self, now=None):
        """When the visit ended: recorded, or implied by inactivity; None while active."""
        if self.end_time is not None:
            return self.end_time
        return None if self.is_active(now) else self.last_activity


class PageQuerySet(models.QuerySet):
    def live(self, now=None):
        """The pages open now: with a live channel (a tracker socket, a waiting poll), or one
        closed less than the grace period ago."""
        return self.filter(seen_at__gte=presence_cutoff(now))


class Page(models.Model):
    """One page view. A single-page app's route change starts a new one."""

    id = models.CharField(
        "page ID", primary_key=True, max_length=ID_LENGTH, default=new_id, editable=False
    )
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="pages")
    url = models.URLField(max_length=2048)
    title = models.CharField(max_length=512, blank=True)
    referrer = models.CharField(max_length=2048, blank=True)
    start_time = models.DateTimeField(default=timezone.now)
    end_time = models.DateTimeField(null=True, blank=True)
    # When the page was last known to have a live channel (notifications/presence.py);
    # NULL for one that never had (a beacon, an old tracker over HTTP).
    seen_at = models.DateTimeField("last seen live", null=True, blank=True)

    objects = PageQuerySet.as_manager()

    class Meta:
        ordering = ["start_time"]
        indexes = [
            models.Index(fields=["visit", "start_time"]),
            models.Index(fields=["seen_at"]),
        ]

    def __str__(self) -> str:
        return self.url

    def is_live(self, now=None) -> bool:
        return self.seen_at is not None and self.seen_at >= presence_cutoff(now)


class Event(models.Model):
    """A SYSTEM event the tracker generates, or a BUSINESS event the site defines."""

    id = models.CharField(
        "event ID", primary_key=True, max_length=ID_LENGTH, default=new_id, editable=False
    )
    event_type = models.CharField(max_length=8, choices=EventType.choices)
    event_name = models.CharField(max_length=128)
    # Found by the (visit, timestamp) and (page, timestamp) indexes below: an index of their own
    # would be written by every insert and serve no query.
    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    page = models.ForeignKey(
        Page, null=True, blank=True, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    timestamp = models.DateTimeField(default=timezone.now)
    url = models.CharField(max_length=2048, blank=True)
    title = models.CharField(max_length=512, blank=True)
    referrer = models.CharField(max_length=2048, blank=True)
    category = models.JSONField(default=list, blank=True)
    language_code = models.CharField(max_length=35, blank=True)
    data = models.JSONField(default=dict, blank=True)
    # The tracker's own id for the event, so that a resend after a lost
    # acknowledgement (reconnect, beacon after a failed socket) is stored once.
    # NULL, not "", for the server's own events: the unique constraint ignores NULLs.
    client_event_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001

    class Meta:
        ordering = ["timestamp", "id"]
        indexes = [
            models.Index(fields=["visit", "timestamp"]),
            models.Index(fields=["page", "timestamp"]),
            models.Index(fields=["event_name"]),
            models.Index(fields=["timestamp"]),
        ]
        constraints = [
            # With the time: PostgreSQL partitions the table by it (gwe/partitions.py), and a
            # partitioned table's unique constraints must hold the partition key.
            models.UniqueConstraint(
                fields=["page", "client_event_id", "timestamp"], name="event_once_per_client_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_name}"


# ---- business-event definitions: what the tracker watches for ------------------------------


class BusinessEventDefinition(models.Model):
    """A business event the tracker raises by itself: a DOM event on matching elements,
    or a timer, on pages whose URL matches (GWE's DSL)."""

    class Trigger(models.TextChoices):
        CLICK = "click", "Click on an element"
        SUBMIT = "submit", "Form submitted"
        CHANGE = "change", "Field changed"
        MOUSEOVER = "mouseover", "Mouse over an element"
        TIMER = "timer", "Time spent on the page"

    name = models.CharField(
        max_length=128,
        unique=True,
        validators=[validate_event_name],
        help_text="The event name as it appears in the history, e.g. AddToCart.",
    )
    enabled = models.BooleanField(default=True)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.CLICK)
    selector = models.CharField(
        "CSS selector",
        max_length=512,
        blank=True,
        help_text="Which elements to watch, e.g. button.add-to-cart. Not used by timers.",
    )
    delay_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="For a timer: seconds on the page before the event fires.",
    )
    url_pattern = models.CharField(
        "only on URLs matching",
        max_length=512,
        blank=True,
        validators=[validate_regex],
        help_text="Optional regular expression the page URL must match, e.g. /products/.",
    )
    max_per_page = models.PositiveIntegerField(
        default=0, help_text="How many times it may fire on one page; 0 means no limit."
    )
    description = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.trigger == self.Trigger.TIMER:
            if not self.delay_seconds:
                raise ValidationError({"delay_seconds": "A timer needs a delay in seconds."})
        elif not self.selector:
            raise ValidationError({"selector": "Say which elements to watch."})

    @property
    def action(self) -> str:
        """The trigger as the tracker reads it: a DOM event name or `timer:MS`."""
        if self.trigger == self.Trigger.TIMER:
            return f"timer:{(self.delay_seconds or 0) * 1000}"
        return self.trigger


class CapturedValue(models.Model):
    """A value the tracker reads from the page into the event's data."""

    class Source(models.TextChoices):
        TEXT = "text", "Text of the element"
        VALUE = "value", "Value of a form field"
        ATTRIBUTE = "attribute", "An attribute of the element"
        URL = "url", "Page URL"
        TITLE = "title", "Page title"

    definition = models.ForeignKey(
        BusinessEventDefinition, on_delete=models.CASCADE, related_name="values"
    )
    name = models.CharField(max_length=64, help_text="Key in the event's data, e.g. sku.")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.TEXT)
    selector = models.CharField(
        "CSS selector",
        max_length=512,
        blank=True,
        help_text="Where to read it; blank means the element that triggered the event.",
    )
    attribute = models.CharField(
        max_length=64, blank=True, help_text="For 'attribute': its name, e.g. data-sku."
    )

    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "name"], name="value_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.source == self.Source.ATTRIBUTE and not self.attribute:
            raise ValidationError({"attribute": "Name the attribute to read."})
