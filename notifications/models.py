"""Notifications pushed to the live pages of a visit."""

from django.db import models
from django.utils import timezone

from gwe.ids import ID_LENGTH, new_id
from gwe.models import Page, Visit


class NotificationStatus(models.TextChoices):
    QUEUED = "queued"
    DELIVERED = "delivered"
    EXPIRED = "expired"


class Notification(models.Model):
    """One message for a visit's pages (or one of them), kept until it expires so that a
    page that was offline receives it when it reconnects."""

    id = models.CharField(
        "notification ID", primary_key=True, max_length=ID_LENGTH, default=new_id, editable=False
    )
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="notifications")
    page = models.ForeignKey(
        Page,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        help_text="The one tab it is for; empty means every tab of the visit.",
    )
    # Per visit, from 1, in the order notifications were accepted: pages replay by it.
    seq = models.PositiveBigIntegerField()
    channel = models.CharField(max_length=128)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    delivered_count = models.PositiveIntegerField(
        default=0, help_text="How many pages have confirmed receiving it."
    )
    first_delivered_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(
        null=True, blank=True, help_text="When it expired before any page received it."
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "seq"], name="notification_seq_per_visit")
        ]
        indexes = [models.Index(fields=["expires_at"], name="notification_expiry")]

    def __str__(self) -> str:
        return f"{self.channel} #{self.seq}"

    @property
    def status(self) -> NotificationStatus:
        if self.delivered_count:
            return NotificationStatus.DELIVERED
        if self.expired_at or self.expires_at <= timezone.now():
            return NotificationStatus.EXPIRED
        return NotificationStatus.QUEUED


class Delivery(models.Model):
    """A page confirmed it received a notification."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="deliveries")
    delivered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["delivered_at"]
        constraints = [
            models.UniqueConstraint(fields=["notification", "page"], name="delivery_once_per_page")
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} → {self.page_id}"


class NotifyRequest(models.Model):
    """A notify sent with an `Idempotency-Key`: the notifications it stored, so that the same
    request sent again (its answer lost on the wire) stores nothing more and gets the same
    ids. Kept a day."""

    user_id = models.IntegerField()
    key = models.CharField(max_length=255)
    visit_id = models.CharField(max_length=ID_LENGTH)
    notification_ids = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "key"], name="one_notify_per_key")
        ]

    def __str__(self) -> str:
        return self.key
