import os

from django.core.asgi import get_asgi_application
from django.urls import re_path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gwe.settings")
django_asgi_app = get_asgi_application()

from gwe.api_handler import ApiHandler  # noqa: E402

api_app = ApiHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from gwe.routing import http_urlpatterns, websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": URLRouter(
            [
                *http_urlpatterns,
                re_path(r"^server/data/notification/notify/", api_app),  # type: ignore[arg-type]
                re_path(r"", django_asgi_app),  # type: ignore[arg-type]
            ]
        ),
        "websocket": URLRouter(websocket_urlpatterns),
    }
)
