from django.conf import settings
from django.urls import path

from gwe.consumers import NoopConsumer, NoopHttpConsumer, TrackerConsumer, TrackerHttpConsumer

websocket_urlpatterns = [path("server/ws/tracker", TrackerConsumer.as_asgi())]
http_urlpatterns = [path("server/data/tracker", TrackerHttpConsumer.as_asgi())]

if settings.GWE_BENCHMARK_ENDPOINTS:
    websocket_urlpatterns.append(path("server/ws/noop", NoopConsumer.as_asgi()))
    http_urlpatterns.append(path("server/data/tracker/noop", NoopHttpConsumer.as_asgi()))
