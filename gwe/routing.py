from django.conf import settings
from django.urls import path

from gwe.consumers import NoopConsumer, NoopHttpConsumer, TrackerConsumer, TrackerHttpConsumer
from notifications.endpoint import NotifyConsumer

websocket_urlpatterns = [path("server/ws/tracker", TrackerConsumer.as_asgi())]
http_urlpatterns = [
    path("server/data/tracker", TrackerHttpConsumer.as_asgi()),
    path("server/data/notification/notify/<str:visit_id>", NotifyConsumer.as_asgi()),
]

if settings.GWE_BENCHMARK_ENDPOINTS:
    websocket_urlpatterns.append(path("server/ws/noop", NoopConsumer.as_asgi()))
    http_urlpatterns.append(path("server/data/tracker/noop", NoopHttpConsumer.as_asgi()))
