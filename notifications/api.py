import json

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, ParseError, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from gwe.ids import is_valid_id
from notifications import services
from notifications.models import Notification
from notifications.serializers import (
    NotificationSerializer,
    NotifyItemSerializer,
    NotifyResponseSerializer,
)


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "request body is too large"


class LimitedJSONParser(JSONParser):
    """JSON, refused with 413 past GWE_NOTIFY_MAX_BYTES before it is decoded."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.GWE_NOTIFY_MAX_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"request body is larger than {limit} bytes")
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ParseError(f"malformed JSON: {exc}") from None


class CanNotify(BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm("notifications.add_notification")


class NotifyView(APIView):
    """Push messages to a visit's live pages (GWE's Notification Service)."""

    parser_classes = [LimitedJSONParser]
    permission_classes = [CanNotify]

    @extend_schema(
        operation_id="notify",
        request=NotifyItemSerializer(many=True),
        responses={
            202: NotifyResponseSerializer,
            400: OpenApiResponse(description="malformed body or id"),
            404: OpenApiResponse(description="unknown visit, or a page not of this visit"),
            413: OpenApiResponse(description="body over GWE_NOTIFY_MAX_BYTES or over 100 messages"),
            503: OpenApiResponse(description="stored, but cannot be pushed now; delivered later"),
        },
    )
    def post(self, request, visit_id: str):
        if not is_valid_id(visit_id):
            raise ValidationError({"visitID": "not a well-formed visit id"})
        items = request.data if isinstance(request.data, list) else [request.data]
        if len(items) > settings.GWE_NOTIFY_MAX_MESSAGES:
            raise PayloadTooLarge(f"more than {settings.GWE_NOTIFY_MAX_MESSAGES} messages")
        if not items:
            raise ValidationError("send at least one message")
        serializer = NotifyItemSerializer(data=items, many=True, context={"request": request})
        serializer.is_valid(raise_exception=True)
        messages = [
            services.NotifyMessage(
                channel=item["channel"],
                data=item["data"],
                page_id=item.get("page"),
                ttl_seconds=item.get("ttl"),
            )
            for item in serializer.validated_data
        ]
        try:
            notifications = services.notify(visit_id=visit_id, messages=messages)
        except services.UnknownTarget as exc:
            raise NotFound(str(exc)) from None
        except services.NotificationsQueued as exc:
            return Response(
                {
                    "error": f"stored, but cannot be pushed now ({exc}); pages will receive "
                    "them when the notification bus is back or when they reconnect",
                    "ids": [n.pk for n in exc.notifications],
                },
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        return Response({"ids": [n.pk for n in notifications]}, status=status.HTTP_202_ACCEPTED)


class NotificationDetailView(APIView):
    """A notification and its delivery status (queued, delivered to N pages, expired)."""

    @extend_schema(operation_id="notification", responses=NotificationSerializer)
    def get(self, request, notification_id: str):
        if not is_valid_id(notification_id):
            raise ValidationError({"notificationID": "not a well-formed id"})
        notification = get_object_or_404(Notification, pk=notification_id)
        return Response(NotificationSerializer(notification).data)


class VisitNotificationsView(APIView):
    """A visit's notifications, newest first."""

    @extend_schema(operation_id="visit_notifications", responses=NotificationSerializer(many=True))
    def get(self, request, visit_id: str):
        if not is_valid_id(visit_id):
            raise ValidationError({"visitID": "not a well-formed visit id"})
        notifications = Notification.objects.filter(visit_id=visit_id).order_by("-seq")[:500]
        return Response(NotificationSerializer(notifications, many=True).data)
