from django.contrib.auth import views as auth_views
from django.urls import path

from gwe.authentication import LoginForm
from media_adapters.gwe_chat import views

# Included at the root of gwe/urls.py, before the /server/resources/<name>.html route.
urlpatterns = [
    path("server/resources/chat.html", views.visitor_chat, name="chat-visitor"),
    path("server/resources/message.html", views.leave_message, name="chat-leave-message"),
    path("agent/", views.console, name="agent-console"),
    # Agents need not be staff: they log in here, not through the admin's form.
    path(
        "agent/login/",
        auth_views.LoginView.as_view(template_name="agent/login.html", form_class=LoginForm),
        name="agent-login",
    ),
    path(
        "agent/logout/", auth_views.LogoutView.as_view(next_page="agent-login"), name="agent-logout"
    ),
    path("agent/chats/<str:chat_id>.json", views.chat_context, name="agent-chat-context"),
]
