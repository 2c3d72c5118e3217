from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from media_adapters.gwe_chat import left_messages, services
from media_adapters.gwe_chat.models import (
    AgentStatus,
    CannedResponse,
    Chat,
    ChatMessage,
    LeftMessage,
    Sender,
)


class ChatMessageInline(admin.TabularInline):
    """The transcript, as it was said: read-only."""

    model = ChatMessage
    fields = readonly_fields = ("seq", "sent_at", "sender", "agent", "text")
    ordering = ["seq"]
    extra = 0
    can_delete = False
    verbose_name_plural = "Transcript"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Chat)
class ChatAdmin(admin.ModelAdmin):
    list_display = ["id", "state", "agent", "visit_link", "template", "rule", "created_at"]
    list_filter = ["state", "agent", "template"]
    search_fields = ["id", "visit__id", "global_visit_id", "identity_id", "invitation_id"]
    search_help_text = "A chat, visit, global visit, identity or invitation ID."
    date_hierarchy = "created_at"
    list_select_related = ["agent"]
    fields = readonly_fields = (
        "id",
        "state",
        "agent",
        "visit_link",
        "page_id",
        "global_visit_id",
        "identity_id",
        "invitation_id",
        "template",
        "rule",
        "created_at",
        "answered_at",
        "ended_at",
        "attached_data",
        "context",
    )
    inlines = [ChatMessageInline]
    actions = ["end_chats"]

    def has_add_permission(self, request) -> bool:
        return False  # chats start when a visitor accepts an invitation

    @admin.display(description="visit", ordering="visit_id")
    def visit_link(self, chat: Chat) -> str:
        url = reverse("admin:gwe_visit_change", args=[chat.visit_id])
        return format_html('<a href="{}">{}</a>', url, chat.visit_id)

    @admin.action(description="End the selected chats", permissions=["change"])
    def end_chats(self, request, queryset) -> None:
        for chat_id in queryset.values_list("pk", flat=True):
            services.chat_end(chat_id=chat_id, by=Sender.SYSTEM)
        self.message_user(request, "The chats are ended.", messages.SUCCESS)


@admin.register(AgentStatus)
class AgentStatusAdmin(admin.ModelAdmin):
    list_display = ["user", "available", "max_chats", "last_seen"]
    list_editable = ["available", "max_chats"]
    list_filter = ["available"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user"]


class AnsweredFilter(admin.SimpleListFilter):
    title = "answered"
    parameter_name = "answered"

    def lookups(self, request, model_admin):
        return [("no", "Not yet"), ("yes", "Answered")]

    def queryset(self, request, queryset):
        if self.value() in ("no", "yes"):
            return queryset.filter(answered_at__isnull=self.value() == "no")
        return queryset


@admin.register(LeftMessage)
class LeftMessageAdmin(admin.ModelAdmin):
    """The messages visitors left when nobody could answer: an agent takes one, answers the
    visitor by email or phone, and marks it answered."""

    list_display = [
        "created_at",
        "name",
        "contact",
        "call_back",
        "excerpt",
        "page_link",
        "taken_by",
        "answered_at",
    ]
    list_filter = [AnsweredFilter, "call_back", "taken_by"]
    search_fields = ["name", "email", "phone", "text", "visit_id", "identity_id"]
    search_help_text = "A name, email, phone, words of the message, a visit or identity ID."
    date_hierarchy = "created_at"
    list_select_related = ["taken_by"]
    fields = readonly_fields = (
        "created_at",
        "name",
        "email",
        "phone",
        "call_back",
        "text",
        "page_link",
        "title",
        "language",
        "visit_id",
        "identity_id",
        "chat",
        "taken_by",
        "taken_at",
        "answered_at",
        "emailed_at",
        "email_error",
    )
    actions = ["take", "mark_answered"]

    def has_add_permission(self, request) -> bool:
        return False  # left by visitors

    @admin.display(description="message")
    def excerpt(self, message: LeftMessage) -> str:
        return Truncator(message.text).chars(80)

    @admin.display(description="page", ordering="url")
    def page_link(self, message: LeftMessage) -> str:
        if not message.url:
            return "-"
        return format_html(
            '<a href="{}" rel="noopener noreferrer">{}</a>',
            message.url,
            message.title or message.url,
        )

    @admin.action(description="I will answer the selected messages", permissions=["change"])
    def take(self, request, queryset) -> None:
        taken = left_messages.messages_take(
            ids=list(queryset.values_list("pk", flat=True)), user=request.user
        )
        self.message_user(request, f"You took {taken} message(s).", messages.SUCCESS)

    @admin.action(description="Mark the selected messages answered", permissions=["change"])
    def mark_answered(self, request, queryset) -> None:
        done = left_messages.messages_answered(
            ids=list(queryset.values_list("pk", flat=True)), user=request.user
        )
        self.message_user(request, f"{done} message(s) marked answered.", messages.SUCCESS)


class SharedFilter(admin.SimpleListFilter):
    title = "whose"
    parameter_name = "whose"

    def lookups(self, request, model_admin):
        return [("shared", "Shared by every agent"), ("own", "An agent's own")]

    def queryset(self, request, queryset):
        if self.value() in ("shared", "own"):
            return queryset.filter(owner__isnull=self.value() == "shared")
        return queryset


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    """Replies agents insert with / in the console: the shared ones are written here (leave
    Owner empty); agents keep their own from the console."""

    list_display = ["shortcut_typed", "excerpt", "whose"]
    list_filter = [SharedFilter]
    search_fields = ["shortcut", "text"]
    fields = ["shortcut", "text", "owner"]
    autocomplete_fields = ["owner"]

    @admin.display(description="typed as", ordering="shortcut")
    def shortcut_typed(self, reply: CannedResponse) -> str:
        return f"/{reply.shortcut}"

    @admin.display(description="reply")
    def excerpt(self, reply: CannedResponse) -> str:
        return Truncator(reply.text).chars(90)

    @admin.display(description="whose", ordering="owner")
    def whose(self, reply: CannedResponse) -> str:
        return str(reply.owner) if reply.owner_id else "shared"
