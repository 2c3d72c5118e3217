import os

from django.core.asgi import get_asgi_application
from django.urls import re_path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gwe.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from gwe import collector  # noqa: E402
from gwe.routing import http_urlpatterns, websocket_urlpatterns  # noqa: E402
from notifications.sweeps import SweepsWithTheProcess  # noqa: E402

collector.install(full_every=settings.GWE_GC_FULL_SECONDS)

application = SweepsWithTheProcess(
    ProtocolTypeRouter(
        {
            # The hot paths (tracker, notify) are consumers; everything else is Django.
            "http": URLRouter([*http_urlpatterns, re_path(r"", django_asgi_app)]),  # type: ignore[arg-type]
            "websocket": URLRouter(websocket_urlpatterns),
        }
    )
)
