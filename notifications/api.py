from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from gwe.api_params import gwe_id
from gwe.permissions import needs
from gwe.serializers import ErrorSerializer
from notifications.models import Notification
from notifications.serializers import NotificationSerializer

UNAUTHORIZED = OpenApiResponse(ErrorSerializer, description="no credentials, or wrong ones")
FORBIDDEN = OpenApiResponse(
    ErrorSerializer, description="the account lacks notifications.view_notification"
)


# What was pushed to a visitor is theirs: only an account given `notify` reads it.
CanViewNotifications = needs("notifications.view_notification", to="read notifications")


class NotificationView(APIView):
    permission_classes = [IsAuthenticated, CanViewNotifications]


NOTIFICATION_ID = gwe_id("notification_id", "an id notify answered with")
VISIT_ID = gwe_id("visit_id", "the visit")


class NotificationDetailView(NotificationView):
    """A notification and its delivery status (queued, delivered to N pages, expired)."""

    @extend_schema(
        operation_id="notification",
        summary="A notification and its delivery status",
        tags=["notifications"],
        parameters=[NOTIFICATION_ID.schema],
        responses={
            200: NotificationSerializer,
            400: OpenApiResponse(ErrorSerializer, description="a malformed id"),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: OpenApiResponse(ErrorSerializer, description="no such notification"),
        },
    )
    def get(self, request, notification_id: str):
        NOTIFICATION_ID.checked(notification_id)
        notification = get_object_or_404(Notification, pk=notification_id)
        return Response(NotificationSerializer(notification).data)


class VisitNotificationsView(NotificationView):
    """A visit's notifications, newest first."""

    @extend_schema(
        operation_id="visit_notifications",
        summary="A visit's notifications, newest first",
        description="At most 500; none for a visit GWE does not know.",
        tags=["notifications"],
        parameters=[VISIT_ID.schema],
        responses={
            200: NotificationSerializer(many=True),
            400: OpenApiResponse(ErrorSerializer, description="a malformed id"),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
        },
    )
    def get(self, request, visit_id: str):
        VISIT_ID.checked(visit_id)
        notifications = Notification.objects.filter(visit_id=visit_id).order_by("-seq")[:500]
        return Response(NotificationSerializer(notifications, many=True).data)
