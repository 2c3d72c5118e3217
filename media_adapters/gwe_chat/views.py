from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language, gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from gwe.embedding import embeddable
from gwe.languages import speaks_visitors_language
from media_adapters.gwe_chat import access, left_messages, selectors, services, tokens
from media_adapters.gwe_chat.forms import LeaveMessageForm


@require_GET
@embeddable
@speaks_visitors_language
def visitor_chat(request: HttpRequest) -> HttpResponse:
    """The visitor's side of a chat, shown in the invitation's iframe on the customer's page."""
    chat_id = request.GET.get("chat", "")[:64]
    token = request.GET.get("token", "")[:200]
    if not tokens.visitor_token_valid(chat_id, token):
        return render(request, "chat/visitor.html", {"refused": True}, status=403)
    runtime = {
        "chat": chat_id,
        "token": token,
        "socket": f"/server/ws/chat/{chat_id}",
        "maxText": services.MAX_TEXT,
        "leaveMessage": _leave_message_page(chat_id),
        "words": _chat_words(),
    }
    return render(request, "chat/visitor.html", {"runtime": runtime})


def _chat_words() -> dict[str, str]:
    """What the chat's script says, in the visitor's language."""
    return {
        "reconnecting": gettext("Reconnecting…"),
        "unavailable": gettext("This chat is not available."),
        "notConnected": gettext("Not connected: please send it again in a moment."),
        "read": gettext("Read"),
        "adviser": gettext("Adviser"),
        "anAdviser": gettext("an adviser"),
        "ended": gettext("This chat has ended."),
        "chattingWith": gettext("You are chatting with %(name)s."),
        "waiting": gettext("Waiting for an adviser…"),
        "typing": gettext("Adviser is typing…"),
    }


def _leave_message_page(chat_id: str) -> str:
    """Where a visitor who would rather not wait leaves a message ("" for no such chat)."""
    where = selectors.chat_where(chat_id=chat_id)
    if where is None:
        return ""
    return left_messages.message_page(
        visit_id=where["visit_id"],
        page_id=where["page_id"],
        alias=where["adapter"],
        chat_id=chat_id,
        language=get_language(),
    )


@csrf_exempt  # the signed token is the credential: the page is framed on other sites
@require_http_methods(["GET", "POST"])
@embeddable
@speaks_visitors_language
def leave_message(request: HttpRequest) -> HttpResponse:
    """*Leave a message*: shown in the invitation's frame when nobody can answer, or from the
    chat while the visitor waits in the queue."""
    token = (request.POST if request.method == "POST" else request.GET).get("token", "")[:500]
    said = tokens.message_token_read(token)
    if said is None:
        return render(request, "chat/message.html", {"refused": True}, status=403)
    form = LeaveMessageForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        left_messages.message_leave(
            visit_id=said["v"],
            page_id=said["p"],
            alias=said["a"],
            chat_id=said["c"],
            **form.cleaned_data,
        )
        sent = {"sent": True, "name": form.cleaned_data["name"]}
        return render(request, "chat/message.html", sent)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "token": token, "from_queue": bool(said["c"])}
    return render(request, "chat/message.html", context, status=status)


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
