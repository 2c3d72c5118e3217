from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from media_adapters.gwe_chat import services
from media_adapters.gwe_chat.models import AgentStatus, Chat, ChatMessage, Sender


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
