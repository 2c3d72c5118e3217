from django.contrib import admin
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html

from notifications.models import Delivery, Notification, NotificationStatus

STATUS_COLOURS = {
    NotificationStatus.QUEUED: "#b26a00",
    NotificationStatus.DELIVERED: "#1e7b34",
    NotificationStatus.EXPIRED: "#8a8a8a",
}


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return NotificationStatus.choices

    def queryset(self, request, queryset):
        now = timezone.now()
        expired = Q(delivered_count=0) & (Q(expired_at__isnull=False) | Q(expires_at__lte=now))
        match self.value():
            case NotificationStatus.DELIVERED:
                return queryset.filter(delivered_count__gt=0)
            case NotificationStatus.EXPIRED:
                return queryset.filter(expired)
            case NotificationStatus.QUEUED:
                return queryset.filter(
                    delivered_count=0, expired_at__isnull=True, expires_at__gt=now
                )
        return queryset


class ReadOnlyAdmin(admin.ModelAdmin):
    """A log: it can be read and searched, not edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = readonly_fields = ("page", "delivered_at")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "channel",
        "status_badge",
        "delivered_count",
        "visit",
        "page",
        "seq",
    ]
    list_filter = [StatusFilter, "channel", "created_at"]
    search_fields = ["=id", "=visit__id", "=page__id", "channel"]
    date_hierarchy = "created_at"
    list_select_related = ["visit", "page"]
    inlines = [DeliveryInline]
    fields = readonly_fields = (
        "id",
        "visit",
        "page",
        "seq",
        "channel",
        "data",
        "status_badge",
        "created_at",
        "expires_at",
        "delivered_count",
        "first_delivered_at",
        "expired_at",
    )

    @admin.display(description="status")
    def status_badge(self, notification: Notification) -> str:
        status = notification.status
        return format_html(
            '<strong style="color: {}">{}</strong>', STATUS_COLOURS[status], status.label
        )
