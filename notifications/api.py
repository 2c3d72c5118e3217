from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from gwe.ids import is_valid_id
from notifications.models import Notification
from notifications.serializers import NotificationSerializer


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
