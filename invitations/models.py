"""What business users edit: invitation templates, categories, business hours, engagement
rules and policy; and what came of it: invitations offered and the decisions behind them.
(The business events the tracker watches for are the tracker's own: gwe/models.py.)"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from gwe.ids import ID_LENGTH, new_id
from gwe.validators import validate_event_name, validate_regex
from invitations import pacing

# ---- invitation templates -------------------------------------------------------------------

DEFAULT_BODY = """<div class="invitation" role="dialog" aria-labelledby="gwe-title">
  <button class="close" data-gwe-action="close" aria-label="Close">&times;</button>
  <h1 id="gwe-title">{{ title }}</h1>
  <p>{{ text }}</p>
  <div class="actions">
    <button data-gwe-action="accept">{{ accept_label }}</button>
    <button data-gwe-action="reject">{{ reject_label }}</button>
  </div>
</div>"""

DEFAULT_CSS = """.invitation { box-sizing: border-box; width: 100%; padding: 20px 22px;
  border-radius: 14px; background: #fff; border: 1px solid #e3e7ef;
  box-shadow: 0 8px 30px rgba(20, 30, 60, .18); position: relative; }
h1 { margin: 0 0 6px; font-size: 18px; }
p { margin: 0 0 16px; font-size: 14px; line-height: 1.45; color: #4a5468; }
label { display: block; font-size: 13px; margin: 0 0 10px; color: #4a5468; }
input { box-sizing: border-box; width: 100%; padding: 8px; border: 1px solid #c9d1e0;
  border-radius: 6px; font: inherit; }
.actions { display: flex; gap: 10px; }
button { flex: 1; padding: 10px 12px; border-radius: 8px; font: inherit; font-size: 14px;
  cursor: pointer; border: 1px solid #c9d1e0; background: #fff; color: #1d2433; }
button[data-gwe-action="accept"] { background: #1f5eff; border-color: #1f5eff; color: #fff; }
.close { position: absolute; top: 10px; right: 12px; border: 0; background: none; flex: none;
  font-size: 18px; color: #8a93a6; padding: 4px; }"""

SLUG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"


def validate_slug(value: str) -> None:
    if not re.fullmatch(SLUG_PATTERN, value):
        raise ValidationError("Letters, digits, - and _ only (it is part of a URL).")


class InvitationTemplate(models.Model):
    """What the visitor sees when invited, and which media adapter answers an accept."""

    class Kind(models.TextChoices):
        CHAT = "chat", "Chat"
        CALLBACK = "callback", "Callback"

    class Variant(models.TextChoices):
        GWE_CHAT = "gwe-chat", "GWE chat (built in)"
        GMS_CHAT = "gms-chat", "GMS chat"
        GMS_CALLBACK = "gms-callback", "GMS callback"
        THIRD_PARTY = "third-party", "Third-party service"

    slug = models.CharField(
        max_length=64,
        unique=True,
        validators=[validate_slug],
        help_text="Its address: /server/resources/SLUG.html. Rules and the engage API name it.",
    )
    name = models.CharField(max_length=128, help_text="For you; visitors do not see it.")
    enabled = models.BooleanField(default=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CHAT)
    variant = models.CharField(max_length=16, choices=Variant.choices, default=Variant.GWE_CHAT)
    title = models.CharField(
        max_length=200,
        default="Can we help you?",
        help_text="The title, the text and both labels may use what the site told about the "
        'visitor (SignIn/UserInfo), e.g. Hello {{ visitor.firstName|default:"there" }}; an '
        "attribute it did not tell is left empty. Shown as text, never as HTML.",
    )
    text = models.TextField(
        default="One of our advisers is available to chat with you now.",
        help_text="May use {{ visitor.NAME }}, as the title does.",
    )
    accept_label = models.CharField(
        max_length=64, default="Chat now", help_text="May use {{ visitor.NAME }}."
    )
    reject_label = models.CharField(
        max_length=64, default="No, thanks", help_text="May use {{ visitor.NAME }}."
    )
    body_html = models.TextField(
        "HTML",
        default=DEFAULT_BODY,
        help_text='Buttons marked data-gwe-action="accept", "reject" or "close" work by '
        "themselves; named form fields (first_name, _customer_number, ...) go to the media "
        "adapter with the accept. {{ title }}, {{ text }}, {{ accept_label }}, "
        "{{ reject_label }} and {{ visitor.NAME }} (what the site told about the visitor, "
        "escaped) may be used.",
    )
    css = models.TextField("CSS", blank=True, default=DEFAULT_CSS)
    mobile_body_html = models.TextField(
        "HTML on mobile",
        blank=True,
        help_text="Optional: shown instead of the HTML above on phones.",
    )
    adapter = models.CharField(
        "media adapter",
        max_length=64,
        default="gwe-chat",
        help_text="Which entry of GWE_MEDIA_ADAPTERS answers an accept, e.g. gwe-chat or gms.",
    )
    adapter_options = models.JSONField(
        "adapter options",
        default=dict,
        blank=True,
        help_text='For this invitation only, e.g. {"scenario": "CHAT-NOW", '
        '"service_name": "samples_new"} for GMS.',
    )
    timeout_seconds = models.PositiveIntegerField(
        "timeout (seconds)",
        default=30,
        validators=[MinValueValidator(5)],
        help_text="How long it stays on the page without an answer.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"


class TemplateTranslation(models.Model):
    """The invitation's words in another language, chosen by the visitor's language."""

    template = models.ForeignKey(
        InvitationTemplate, on_delete=models.CASCADE, related_name="translations"
    )
    language = models.CharField(max_length=16, help_text="e.g. fr, de, pt-br")
    title = models.CharField(max_length=200)
    text = models.TextField()
    accept_label = models.CharField(max_length=64)
    reject_label = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["template", "language"], name="one_per_language")
        ]

    def __str__(self) -> str:
        return self.language


# ---- categories -----------------------------------------------------------------------------


class Category(models.Model):
    """A named set of tags matched against the page URL or title; every event on a matching
    page is stamped with the category's name (GWE's categories)."""

    name = models.CharField(max_length=64, unique=True, validators=[validate_event_name])
    enabled = models.BooleanField(default=True)
    description = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class CategoryTag(models.Model):
    class Field(models.TextChoices):
        URL = "url", "Page URL"
        TITLE = "title", "Page title"

    class Match(models.TextChoices):
        CONTAINS = "contains", "Contains the text"
        WILDCARD = "wildcard", "Matches the wildcard (* and ?)"
        REGEX = "regex", "Matches the regular expression"

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="tags")
    field = models.CharField(max_length=8, choices=Field.choices, default=Field.URL)
    match = models.CharField(max_length=16, choices=Match.choices, default=Match.CONTAINS)
    pattern = models.CharField(max_length=512)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_field_display()} {self.match} {self.pattern}"

    def clean(self) -> None:
        if self.match == self.Match.REGEX:
            validate_regex(self.pattern)


# ---- business hours -------------------------------------------------------------------------


def validate_time_zone(value: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"Unknown time zone {value!r}, e.g. Europe/Paris.") from None


class BusinessHours(models.Model):
    """When someone is there to answer: a weekly schedule in a time zone, minus holidays."""

    name = models.CharField(max_length=64, unique=True)
    time_zone = models.CharField(
        max_length=64, default="UTC", validators=[validate_time_zone], help_text="e.g. Europe/Paris"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "business hours"

    def __str__(self) -> str:
        return self.name


class OpeningHours(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0
        TUESDAY = 1
        WEDNESDAY = 2
        THURSDAY = 3
        FRIDAY = 4
        SATURDAY = 5
        SUNDAY = 6

    schedule = models.ForeignKey(BusinessHours, on_delete=models.CASCADE, related_name="hours")
    weekday = models.IntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField(help_text="00:00 means midnight at the end of the day.")

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name_plural = "opening hours"

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M} to {self.closes:%H:%M}"


class Holiday(models.Model):
    schedule = models.ForeignKey(BusinessHours, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()


# ---- engagement rules and policy ------------------------------------------------------------


class Limits(models.Model):
    """Caps and cool-downs; the global policy has them all, a rule may override any."""

    one_at_a_time = models.BooleanField(
        "one engagement at a time",
        null=True,
        blank=True,
        help_text="Never offer while another invitation of the visit is on screen.",
    )
    max_per_page = models.PositiveIntegerField("at most per page", null=True, blank=True)
    max_per_visit = models.PositiveIntegerField("at most per visit", null=True, blank=True)
    max_per_visitor_day = models.PositiveIntegerField(
        "at most per visitor and day", null=True, blank=True
    )
    max_per_visitor = models.PositiveIntegerField(
        "at most per visitor, ever", null=True, blank=True
    )
    cooldown_after_reject = models.PositiveIntegerField(
        "wait after a rejection (s)", null=True, blank=True
    )
    cooldown_after_timeout = models.PositiveIntegerField(
        "wait after a timeout (s)", null=True, blank=True
    )
    cooldown_after_accept = models.PositiveIntegerField(
        "wait after a conversation (s)", null=True, blank=True
    )

    LIMIT_FIELDS: list = [
        "one_at_a_time",
        "max_per_page",
        "max_per_visit",
        "max_per_visitor_day",
        "max_per_visitor",
        "cooldown_after_reject",
        "cooldown_after_timeout",
        "cooldown_after_accept",
    ]

    class Meta:
        abstract = True


class EngagementPolicy(Limits):
    """The global policy (one row): what every rule obeys unless it says otherwise."""

    class Mode(models.TextChoices):
        BUILT_IN = "built-in", "GWE decides (rules and this policy)"
        EXTERNAL = "external", "An external strategy decides (webhook, then the engage API)"

    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.BUILT_IN)
    webhook_url = models.URLField(
        blank=True,
        help_text="Told of each matched rule (signed JSON POST), whatever the mode.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "engagement policy"
        verbose_name_plural = "engagement policy"

    def __str__(self) -> str:
        return "Engagement policy"


POLICY_DEFAULTS = {
    "one_at_a_time": True,
    "max_per_page": 1,
    "max_per_visit": 2,
    "max_per_visitor_day": 3,
    "max_per_visitor": 0,  # 0: no cap
    "cooldown_after_reject": 600,
    "cooldown_after_timeout": 120,
    "cooldown_after_accept": 1800,
}


class EngagementRule(Limits):
    """When to invite: every condition set must hold for the event that just arrived."""

    class Visitor(models.TextChoices):
        ANY = "", "Anyone"
        NEW = "new", "New visitors (first visit)"
        RETURNING = "returning", "Returning visitors"

    class Known(models.TextChoices):
        ANY = "", "Anyone"
        KNOWN = "known", "Signed-in visitors (identity known)"
        ANONYMOUS = "anonymous", "Anonymous visitors"

    class Device(models.TextChoices):
        ANY = "", "Any device"
        DESKTOP = "desktop", "Desktop"
        MOBILE = "mobile", "Mobile"

    name = models.CharField(max_length=128, unique=True)
    enabled = models.BooleanField(default=True)
    priority = models.IntegerField(
        default=0, help_text="When several rules match, the highest priority is offered."
    )
    template = models.ForeignKey(
        InvitationTemplate,
        on_delete=models.PROTECT,
        related_name="rules",
        help_text="The invitation to offer.",
    )
    description = models.TextField(blank=True)

    categories = models.ManyToManyField(
        Category, blank=True, help_text="The page is in one of these categories."
    )
    url_pattern = models.CharField(
        "URL matches",
        max_length=512,
        blank=True,
        validators=[validate_regex],
        help_text="Regular expression, e.g. /pricing",
    )
    event_name = models.CharField(
        "after the event",
        max_length=128,
        blank=True,
        help_text="A business or system event name, e.g. AddToCart.",
    )
    event_min_count = models.PositiveIntegerField(
        "seen at least", default=1, help_text="times in the visit"
    )
    event_within_seconds = models.PositiveIntegerField(
        "within (s)", null=True, blank=True, help_text="Blank: anywhere in the visit."
    )
    sequence = models.CharField(
        "in this order",
        max_length=512,
        blank=True,
        help_text="Categories or event names the visit went through in this order, "
        "separated by >, e.g. Products > Pricing > AddToCart.",
    )
    min_seconds_on_page = models.PositiveIntegerField(
        "time on page at least (s)", null=True, blank=True
    )
    min_seconds_on_site = models.PositiveIntegerField(
        "time on site at least (s)", null=True, blank=True
    )
    min_pages_viewed = models.PositiveIntegerField("pages viewed at least", null=True, blank=True)
    referrer_pattern = models.CharField(
        "referrer matches",
        max_length=512,
        blank=True,
        validators=[validate_regex],
        help_text="Regular expression, e.g. google\\.",
    )
    visitor = models.CharField(max_length=16, choices=Visitor.choices, blank=True, default="")
    identity = models.CharField(max_length=16, choices=Known.choices, blank=True, default="")
    device = models.CharField(max_length=16, choices=Device.choices, blank=True, default="")
    languages = models.CharField(
        max_length=128, blank=True, help_text="Comma-separated, e.g. en, fr. Blank: any."
    )
    business_hours = models.ForeignKey(
        BusinessHours,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text="Only while open.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-priority", "name"]

    def __str__(self) -> str:
        return self.name


# ---- invitations and decisions --------------------------------------------------------------


class InvitationState(models.TextChoices):
    OFFERED = "offered"
    SHOWN = "shown"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    TIMED_OUT = "timedout", "timed out"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


PENDING_STATES = (InvitationState.OFFERED, InvitationState.SHOWN)


class EngagementStatus(models.TextChoices):
    """What the media adapter made of an accepted invitation."""

    NONE = "", "—"
    STARTING = "starting"
    STARTED = "started"
    FAILED = "failed"


class Invitation(models.Model):
    """One invitation offered to one page, and what became of it."""

    id = models.CharField(
        "invitation ID", primary_key=True, max_length=ID_LENGTH, default=new_id, editable=False
    )
    visit = models.ForeignKey("gwe.Visit", on_delete=models.CASCADE, related_name="invitations")
    page = models.ForeignKey("gwe.Page", on_delete=models.CASCADE, related_name="invitations")
    global_visit_id = models.CharField(max_length=ID_LENGTH, db_index=True)
    template = models.ForeignKey(
        InvitationTemplate, on_delete=models.PROTECT, related_name="invitations"
    )
    rule = models.ForeignKey(
        EngagementRule,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations",
        help_text="Empty when an external strategy engaged (engage API).",
    )
    state = models.CharField(
        max_length=16, choices=InvitationState.choices, default=InvitationState.OFFERED
    )
    offered_at = models.DateTimeField(default=timezone.now, db_index=True)
    shown_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    notification_id = models.CharField(max_length=ID_LENGTH, blank=True)
    reason = models.CharField(max_length=256, blank=True)
    data = models.JSONField(default=dict, blank=True)
    engagement = models.CharField(
        max_length=16,
        choices=EngagementStatus.choices,
        blank=True,
        help_text="After an accept: whether the media adapter started the conversation.",
    )
    engagement_reference = models.CharField(
        max_length=128, blank=True, help_text="The media adapter's own id (GMS, chat)."
    )
    engagement_detail = models.CharField(
        max_length=512, blank=True, help_text="Why it failed, or what the visitor was shown."
    )

    class Meta:
        ordering = ["-offered_at"]
        indexes = [
            models.Index(fields=["visit", "state"]),
            models.Index(fields=["global_visit_id", "offered_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.template.slug} → {self.visit_id} ({self.state})"


# The rule named by the decisions of an external strategy's engage (engage gateway).
GATEWAY = "engage gateway"


class EngagementDecision(models.Model):
    """Why an event did or did not lead to an invitation: the rules that matched, and what
    the policy said of each."""

    visit = models.ForeignKey("gwe.Visit", on_delete=models.CASCADE, related_name="decisions")
    page = models.ForeignKey("gwe.Page", null=True, on_delete=models.CASCADE)
    event_name = models.CharField(max_length=128)
    decided_at = models.DateTimeField(default=timezone.now)
    invitation = models.ForeignKey(Invitation, null=True, blank=True, on_delete=models.SET_NULL)
    reasons = models.JSONField(default=list, help_text="[{rule, offered, why}]")

    class Meta:
        ordering = ["-decided_at"]

    def __str__(self) -> str:
        return f"{self.event_name} @ {self.decided_at:%Y-%m-%d %H:%M:%S}"


# ---- pacing: how many invitations each channel may have out (invitations/pacing.py) ---------


class ChannelPacing(models.Model):
    """How a channel (a media adapter alias) is paced: the goal a business user sets."""

    class Algorithm(models.TextChoices):
        AUTO = "auto", "Automatic: progressive under 30 agents ready, predictive from 30"
        PROGRESSIVE = "progressive", "Progressive: count the agents free now"
        PREDICTIVE = "predictive", "Predictive: also count the chats about to end"

    class Target(models.TextChoices):
        ABANDONMENT_RATE = "ABANDONMENT_RATE", "Abandonment rate: visitors who accept find someone"
        BUSY_FACTOR = "BUSY_FACTOR", "Busy factor: keep the agents this busy"

    channel = models.CharField(
        max_length=64,
        unique=True,
        help_text="The media adapter alias, as invitation templates name it: gwe-chat, gms, …",
    )
    enabled = models.BooleanField(
        "pace invitations",
        default=True,
        help_text="Off: invitations are offered whenever someone is available, however many "
        "are already out.",
    )
    algorithm = models.CharField(max_length=16, choices=Algorithm.choices, default=Algorithm.AUTO)
    optimization_target = models.CharField(
        "optimize for", max_length=16, choices=Target.choices, default=Target.ABANDONMENT_RATE
    )
    optimization_goal = models.FloatField(
        "goal (%)",
        null=True,
        blank=True,
        validators=[MinValueValidator(0.1), MaxValueValidator(100)],
        help_text="Abandonment: the most visitors, in per cent of those who accept, who may "
        "find nobody (3 if empty). Busy factor: the share of the agents' capacity to keep in "
        "use (80 if empty).",
    )
    slots = models.PositiveIntegerField(
        "conversations at once",
        null=True,
        blank=True,
        help_text="For a channel whose adapter cannot say how many it can take (GMS, a "
        "webhook, a URL): how many conversations it answers at once. Empty: not paced.",
    )
    handle_seconds = models.PositiveIntegerField(
        "average conversation (s)",
        null=True,
        blank=True,
        help_text="For such a channel: how long a conversation lasts on average (300 if empty).",
    )

    class Meta:
        verbose_name = "channel pacing"
        verbose_name_plural = "channel pacing"
        ordering = ["channel"]

    def __str__(self) -> str:
        return self.channel

    @property
    def goal(self) -> pacing.Goal:
        target = self.optimization_target
        value = self.optimization_goal
        return pacing.Goal(target, pacing.DEFAULT_GOALS[target] if value is None else value / 100)


class PacingSample(models.Model):
    """A channel's pacing at one minute (a sweep of every process writes them; the admin
    draws the last hour)."""

    channel = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)
    agents_ready = models.PositiveIntegerField()
    free = models.PositiveIntegerField()
    busy = models.PositiveIntegerField()
    pending = models.PositiveIntegerField()
    allowed = models.PositiveIntegerField(null=True)
    acceptance_rate = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "at"], name="one_pacing_sample_a_minute")
        ]
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.channel} at {self.at:%Y-%m-%d %H:%M}"
