from django.conf import settings
from django.urls import path

from gwe.consumers import NoopConsumer, TrackerConsumer

websocket_urlpatterns = [path("server/ws/tracker", TrackerConsumer.as_asgi())]
if settings.GWE_BENCHMARK_ENDPOINTS:
    websocket_urlpatterns.append(path("server/ws/noop", NoopConsumer.as_asgi()))
