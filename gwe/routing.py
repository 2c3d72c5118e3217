from channels.auth import AuthMiddlewareStack
from django.conf import settings
from django.urls import path

from gwe.consumers import (
    NoopConsumer,
    NoopHttpConsumer,
    TrackerConsumer,
    TrackerHttpConsumer,
    TrackerPollConsumer,
)
from invitations.workspace_consumer import VisitorsConsumer
from media_adapters.gwe_chat.consumers import (
    AgentConsumer,
    VisitorChatConsumer,
    VisitorChatPollConsumer,
    VisitorChatSendConsumer,
)
from notifications.endpoint import NotifyConsumer

websocket_urlpatterns = [
    path("server/ws/tracker", TrackerConsumer.as_asgi()),
    path("server/ws/chat/<str:chat_id>", VisitorChatConsumer.as_asgi()),
    # The agent's session: only this socket reads cookies and the user.
    path("server/ws/agent", AuthMiddlewareStack(AgentConsumer.as_asgi())),
    path("server/ws/agent/visitors", AuthMiddlewareStack(VisitorsConsumer.as_asgi())),
]
http_urlpatterns = [
    path("server/data/tracker", TrackerHttpConsumer.as_asgi()),
    # When WebSockets are blocked: the page's notifications, the visitor's chat (long polls).
    path("server/data/tracker/poll", TrackerPollConsumer.as_asgi()),
    path("server/data/chat/<str:chat_id>/poll", VisitorChatPollConsumer.as_asgi()),
    path("server/data/chat/<str:chat_id>", VisitorChatSendConsumer.as_asgi()),
    path("server/data/notification/notify/<str:visit_id>", NotifyConsumer.as_asgi()),
]

if settings.GWE_BENCHMARK_ENDPOINTS:
    websocket_urlpatterns.append(path("server/ws/noop", NoopConsumer.as_asgi()))
    http_urlpatterns.append(path("server/data/tracker/noop", NoopHttpConsumer.as_asgi()))
