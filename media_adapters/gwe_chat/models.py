"""Agents, their chats with visitors, and every message of them (typing is never stored)."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from gwe.ids import ID_LENGTH, new_id


class AgentStatus(models.Model):
    """Whether an agent takes chats now. Routing also asks that their console be connected:
    `last_seen` is refreshed by its socket."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="chat_status",
    )
    available = models.BooleanField(
        default=False, help_text="Set by the agent in the console (Available / Away)."
    )
    max_chats = models.PositiveIntegerField(
        "at most open chats", default=3, help_text="Chats waiting or active at the same time."
    )
    last_seen = models.DateTimeField(
        null=True, blank=True, help_text="When the agent's console last answered."
    )

    class Meta:
        verbose_name = "agent status"
        verbose_name_plural = "agent statuses"

    def __str__(self) -> str:
        return str(self.user)

    def is_online(self, within_seconds: int = 60, now=None) -> bool:
        now = now or timezone.now()
        return self.last_seen is not None and now - self.last_seen < timedelta(
            seconds=within_seconds
        )


class ChatState(models.TextChoices):
    WAITING = "waiting"  # routed to an agent, who has not answered yet
    ACTIVE = "active"
    ENDED = "ended"


OPEN_STATES = (ChatState.WAITING, ChatState.ACTIVE)


class Chat(models.Model):
    """One conversation between a visitor and an agent, started by an accepted invitation."""

    id = models.CharField(
        "chat ID", primary_key=True, max_length=ID_LENGTH, default=new_id, editable=False
    )
    # No database constraint on the visit and page: a transcript is kept when the tracking
    # data it came from is pruned, and is read by id (selectors allow for a missing visit).
    visit = models.ForeignKey(
        "gwe.Visit",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="chats",
    )
    page = models.ForeignKey(
        "gwe.Page",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    global_visit_id = models.CharField("global visit ID", max_length=ID_LENGTH, db_index=True)
    identity_id = models.CharField("identity ID", max_length=190, blank=True, db_index=True)
    invitation_id = models.CharField("invitation ID", max_length=ID_LENGTH, blank=True)
    template = models.CharField(max_length=64, blank=True)
    rule = models.CharField(max_length=128, blank=True)
    attached_data = models.JSONField(default=dict, blank=True)
    context = models.JSONField(
        default=dict, blank=True, help_text="What the media adapter was told (SPEC §5)."
    )
    state = models.CharField(max_length=8, choices=ChatState.choices, default=ChatState.WAITING)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chats",
    )
    adapter = models.CharField(
        max_length=64, default="gwe-chat", help_text="The alias of the adapter that routed it."
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    routed_at = models.DateTimeField(
        default=timezone.now, help_text="When it was last offered to an agent."
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Since when the visitor has had no page of the visit open (None: on the site).
    visitor_left_at = models.DateTimeField(null=True, blank=True)
    last_seq = models.PositiveIntegerField(default=0, editable=False)
    # The last message the chat's agent has read (the visitor sees "Read" up to it).
    agent_read_seq = models.PositiveIntegerField(default=0, editable=False)
    transfer_note = models.CharField(
        max_length=500, blank=True, help_text="What the agent who passed the chat on wrote."
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["agent", "state"]),
            models.Index(fields=["state", "routed_at"]),  # the waiting ones, oldest first
        ]

    def __str__(self) -> str:
        return f"Chat {self.pk} ({self.state})"


class Sender(models.TextChoices):
    VISITOR = "visitor"
    AGENT = "agent"
    SYSTEM = "system"


class ChatMessage(models.Model):
    """A message of a chat, numbered from 1 in the chat: a client that reconnects asks for
    what came after the last number it has."""

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    sender = models.CharField(max_length=8, choices=Sender.choices)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.TextField()
    # Set on the system messages that change the chat's state: replaying the messages tells
    # a client the state, in order with what was said.
    state = models.CharField(max_length=8, choices=ChatState.choices, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["chat", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["chat", "seq"], name="chat_message_seq_once")
        ]

    def __str__(self) -> str:
        return f"{self.sender} #{self.seq}"


class LeftMessage(models.Model):
    """What a visitor left when nobody could answer (no adviser free, or tired of waiting in
    the queue): how to reach them and what they want, for an agent to take and answer."""

    id = models.CharField(
        "message ID", primary_key=True, max_length=ID_LENGTH, default=new_id, editable=False
    )
    adapter = models.CharField(max_length=64, default="gwe-chat")
    # Kept by id, like a chat's: the message outlives the tracking data it came from.
    visit_id = models.CharField("visit ID", max_length=ID_LENGTH, db_index=True)
    page_id = models.CharField("page ID", max_length=ID_LENGTH, blank=True)
    global_visit_id = models.CharField("global visit ID", max_length=ID_LENGTH, blank=True)
    identity_id = models.CharField("identity ID", max_length=190, blank=True, db_index=True)
    chat = models.ForeignKey(
        Chat,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="left_messages",
        help_text="The chat the visitor was waiting in, if any.",
    )
    name = models.CharField(max_length=100)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    call_back = models.BooleanField(
        "call me back", default=False, help_text="The visitor asks to be called back."
    )
    text = models.TextField("message")
    url = models.URLField("page", max_length=2048, blank=True)
    title = models.CharField("page title", max_length=512, blank=True)
    language = models.CharField(max_length=35, blank=True)
    created_at = models.DateTimeField("left at", default=timezone.now, db_index=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The agent who answers it.",
    )
    taken_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was sent to GWE_MESSAGES_EMAIL_TO."
    )
    email_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "message left"
        verbose_name_plural = "messages left"

    def __str__(self) -> str:
        return f"{self.name}: {self.text[:40]}"

    @property
    def contact(self) -> str:
        return " · ".join(filter(None, [self.email, self.phone]))


class CannedResponse(models.Model):
    """A reply an agent inserts by typing / and its shortcut in the console's composer:
    shared by every agent (no owner; edited in the admin) or an agent's own."""

    shortcut = models.SlugField(
        max_length=40, help_text="Typed after / in the composer to find it, e.g. hello."
    )
    text = models.TextField(max_length=2000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_responses",
        help_text="Empty: shared by every agent.",
    )

    class Meta:
        ordering = ["shortcut"]
        verbose_name = "canned response"
        constraints = [
            models.UniqueConstraint(
                fields=["shortcut"],
                condition=models.Q(owner__isnull=True),
                name="canned_shared_once",
            ),
            models.UniqueConstraint(fields=["owner", "shortcut"], name="canned_own_once"),
        ]

    def __str__(self) -> str:
        return f"/{self.shortcut}"
