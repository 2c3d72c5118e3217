import re
from urllib.parse import urlsplit

from django.conf import settings
from rest_framework import serializers

from gwe.serializers import GweIdField
from notifications.models import Notification

CHANNEL = re.compile(r"^[A-Za-z0-9_.:/-]{1,128}$")
APPEND_CONTENT = "gpe.appendContent"
MAX_TTL_SECONDS = 24 * 60 * 60


class TextField(serializers.CharField):
    """Text only: DRF's CharField would take the number 0 as the text "0" (the schema, and
    every client, say a string)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class NotifyItemSerializer(serializers.Serializer):
    page = GweIdField("page id", required=False, allow_null=True, help_text="a pageID of the visit")
    channel = TextField(max_length=128)
    data = serializers.DictField(required=False, default=dict)
    ttl = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_TTL_SECONDS,
        help_text="seconds the notification waits for an offline page (default "
        "GWE_NOTIFY_TTL_SECONDS)",
    )

    def validate_channel(self, value):
        if not CHANNEL.fullmatch(value):
            raise serializers.ValidationError("letters, digits and _ . : / - only")
        return value

    def validate(self, attrs):
        if attrs["channel"] == APPEND_CONTENT:
            attrs["data"] = self.append_content(attrs.get("data") or {})
        return attrs

    def append_content(self, data: dict) -> dict:
        url = data.get("url")
        if not isinstance(url, str) or not url:
            raise serializers.ValidationError({"data": "gpe.appendContent needs data.url"})
        if data.get("method", "GET") not in ("GET", "POST"):
            raise serializers.ValidationError({"data": "data.method must be GET or POST"})
        if not isinstance(data.get("container", "body"), str):
            raise serializers.ValidationError({"data": "data.container must be a CSS selector"})
        parts = urlsplit(url)
        if parts.scheme or parts.netloc:
            origin = f"{parts.scheme}://{parts.netloc}".lower()
            if origin not in self.allowed_content_origins():
                raise serializers.ValidationError(
                    {"data": f"data.url may only be on GWE itself or an allowed origin: {origin}"}
                )
        return data

    def allowed_content_origins(self) -> set[str]:
        own = self.context["origin"]  # GWE's own, as the request reached it
        return {own, *(o for o in settings.GWE_ALLOWED_ORIGINS if o != "*")}


class NotificationSerializer(serializers.ModelSerializer):
    notificationID = serializers.CharField(source="pk")
    visitID = serializers.CharField(source="visit_id")
    pageID = serializers.CharField(source="page_id", allow_null=True)
    status = serializers.CharField()
    deliveredTo = serializers.IntegerField(
        source="delivered_count", help_text="pages that confirmed receiving it"
    )
    createdAt = serializers.DateTimeField(source="created_at")
    expiresAt = serializers.DateTimeField(source="expires_at")
    firstDeliveredAt = serializers.DateTimeField(source="first_delivered_at", allow_null=True)
    expiredAt = serializers.DateTimeField(source="expired_at", allow_null=True)

    class Meta:
        model = Notification
        fields = [
            "notificationID",
            "visitID",
            "pageID",
            "seq",
            "channel",
            "data",
            "status",
            "deliveredTo",
            "createdAt",
            "expiresAt",
            "firstDeliveredAt",
            "expiredAt",
        ]
