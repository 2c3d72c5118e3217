from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from gwe import views
from gwe.authentication import AdminLoginForm
from invitations import views as invitation_views

admin.site.login_form = AdminLoginForm  # says when wrong passwords locked a client out
handler404 = "gwe.views.not_found"

urlpatterns = [
    path("", include("gwe.demo.urls")),
    path("admin/", admin.site.urls),
    path("favicon.ico", views.favicon, name="favicon"),
    path("server/resources/js/build/GPE.min.js", views.tracker_script, name="tracker-script"),
    path("", include("media_adapters.gwe_chat.urls")),  # before resources: chat.html is its own
    path(
        "server/resources/chat/start.html",
        invitation_views.visitor_chat_start,
        name="visitor-chat-start",
    ),
    re_path(
        r"^server/resources/(?P<name>[A-Za-z0-9_-]{1,64})\.html$", views.resource, name="resource"
    ),
    path("server/data/notification/", include("notifications.urls")),
    path("server/data/", include("invitations.urls")),
    path("server/data/", include("gwe.api_urls")),
    path("server/health", views.health, name="health"),
    path("server/api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "server/api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
]
