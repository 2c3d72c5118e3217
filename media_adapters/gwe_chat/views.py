from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from gwe.embedding import embeddable
from media_adapters.gwe_chat import access, selectors, services, tokens


@require_GET
@embeddable
def visitor_chat(request: HttpRequest) -> HttpResponse:
    """The visitor's side of a chat, shown in the invitation's iframe on the customer's page."""
    chat_id = request.GET.get("chat", "")[:64]
    token = request.GET.get("token", "")[:200]
    if tokens.visitor_token_valid(chat_id, token):
        runtime = {
            "chat": chat_id,
            "token": token,
            "socket": f"/server/ws/chat/{chat_id}",
            "maxText": services.MAX_TEXT,
        }
        response = render(request, "chat/visitor.html", {"runtime": runtime})
    else:
        response = render(request, "chat/visitor.html", {"refused": True}, status=403)
    return response


def agent_required(view):
    """Agents only: others are sent to log in, or refused (403) once logged in."""

    @wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("agent-login"))
        if not access.is_agent(request.user):
            return render(
                request,
                "agent/forbidden.html",
                {"login_url": f"{reverse('agent-login')}?next={reverse('agent-console')}"},
                status=403,
            )
        return view(request, *args, **kwargs)

    return checked


@require_GET
@agent_required
def console(request: HttpRequest) -> HttpResponse:
    config = {
        "socket": "/server/ws/agent",
        "contextUrl": reverse("agent-chat-context", args=["CHAT"]),
        "maxText": services.MAX_TEXT,
    }
    return render(request, "agent/console.html", {"agent": request.user, "config": config})


@require_GET
@agent_required
def chat_context(request: HttpRequest, chat_id: str) -> JsonResponse:
    """Beside a chat in the console: who the visitor is and what they did."""
    chat = selectors.chat_for_agent(chat_id=chat_id, user_id=request.user.pk)
    if chat is None:
        raise Http404("no such chat of yours")
    return JsonResponse(selectors.chat_context(chat=chat))
