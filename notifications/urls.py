from django.urls import path

from notifications import api

urlpatterns = [
    path("visit/<str:visit_id>", api.VisitNotificationsView.as_view(), name="visit-notifications"),
    path("<str:notification_id>", api.NotificationDetailView.as_view(), name="notification"),
]
