"""Visitor history in the admin: read-only, as the tracker recorded it; exported or erased
with all that hangs on it for a visitor's access or erasure request (gwe/privacy.py)."""

import json

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import quote
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.text import Truncator

from gwe import privacy
from gwe.ids import is_valid_id
from gwe.models import BusinessEventDefinition, CapturedValue, Event, Identity, Page, Visit

TIMELINE_MAX = 200
WHEN_FORMAT = "N j, Y, H:i:s"


def _count(model, fk: str):
    """How many `model` rows point at each row, as a subquery: unlike a JOIN + GROUP BY
    over the whole table, it is computed only for the rows of the page shown."""
    rows = model.objects.filter(**{fk: OuterRef("pk")}).order_by().values(fk)
    counted = rows.annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _when(value) -> str:
    """To the second: events a few seconds apart must not look simultaneous."""
    return formats.date_format(timezone.localtime(value), WHEN_FORMAT) if value else "—"


def _admin_link(model, pk, text=None) -> str:
    if pk is None:
        return "—"
    url = reverse(f"admin:gwe_{model._meta.model_name}_change", args=[quote(pk)])
    return format_html('<a href="{}">{}</a>', url, text or pk)


def _api_link(url_name: str, key: str) -> str:
    url = reverse(url_name, args=[key]) + "?format=json"
    return format_html('<a href="{}" target="_blank">{}</a>', url, url)


def _pretty_json(value) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))


def _event_timeline(events: QuerySet[Event], *, all_url: str, total: int) -> str:
    rows = format_html_join(
        "\n",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                _when(e.timestamp),
                e.event_type,
                _admin_link(Event, e.pk, e.event_name),
                Truncator(e.url).chars(80),
                Truncator(json.dumps(e.data, ensure_ascii=False)).chars(120) if e.data else "",
            )
            for e in events[:TIMELINE_MAX]
        ),
    )
    more = (
        format_html(
            '<p>Showing the first {} of {}. <a href="{}">All events</a></p>',
            TIMELINE_MAX,
            total,
            all_url,
        )
        if total > TIMELINE_MAX
        else format_html('<p><a href="{}">Open in the event list</a></p>', all_url)
    )
    return format_html(
        "<table><thead><tr><th>time</th><th>type</th><th>event</th><th>URL</th>"
        "<th>data</th></tr></thead><tbody>{}</tbody></table>{}",
        rows,
        more,
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    """What the tracker recorded can be read and searched, never edited here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PrivacyActions(admin.ModelAdmin):
    """*Export* and *Erase* for the rows selected: a visitor's access or erasure request,
    answered by a business user. Subclasses say which visits the rows are."""

    actions = ["export_selected", "erase_selected"]

    def visits_of(self, queryset) -> list[str]:
        raise NotImplementedError

    def erase(self, queryset) -> dict[str, int]:
        return privacy.visits_erase(self.visits_of(queryset))

    def has_erase_permission(self, request) -> bool:
        return request.user.has_perm("gwe.delete_visit")

    @admin.action(description="Export everything held of the selected (JSON)")
    def export_selected(self, request, queryset):
        exported = privacy.visits_export(self.visits_of(queryset))
        response = HttpResponse(
            json.dumps(exported, cls=DjangoJSONEncoder, indent=2),
            content_type="application/json",
        )
        response["Content-Disposition"] = 'attachment; filename="gwe-export.json"'
        return response

    @admin.action(
        description="Erase the selected with all that hangs on them", permissions=["erase"]
    )
    def erase_selected(self, request, queryset):
        if request.POST.get("confirmed") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": "Erase for good?",
                "opts": self.model._meta,
                "rows": list(queryset[:50]),
                "count": queryset.count(),
                "visits": len(self.visits_of(queryset)),
                "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            }
            return TemplateResponse(request, "admin/gwe/erase_confirmation.html", context)
        deleted = self.erase(queryset)
        said = privacy.counts_said(deleted) or "nothing"
        self.message_user(request, f"Erased: {said}.", messages.SUCCESS)
        return None


class IdSearchAdmin(ReadOnlyAdmin):
    """A search term shaped like a GWE id also finds the rows with that exact id, through
    the indexes (the admin's own `=field` search compares case-insensitively: a full scan)."""

    id_search_fields: tuple[str, ...] = ("pk",)

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if is_valid_id(term):
            by_id = Q()
            for field in self.id_search_fields:
                by_id |= Q(**{field: term})
            results = results | queryset.filter(by_id)
        return results, may_have_duplicates


class VisitStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("on_site", "On the site now"),
            ("active", "Visit goes on (may come back)"),
            ("ended", "Ended"),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        match self.value():
            case "on_site":
                return queryset.on_site(now)
            case "active":
                return queryset.active(now)
            case "ended":
                return queryset.exclude(pk__in=Visit.objects.active(now).values("pk"))
        return queryset


class IdentifiedFilter(admin.SimpleListFilter):
    title = "visitor known"
    parameter_name = "identified"

    def lookups(self, request, model_admin):
        return [("yes", "Signed in or identified"), ("no", "Anonymous")]

    def queryset(self, request, queryset):
        match self.value():
            case "yes":
                return queryset.filter(identity__isnull=False)
            case "no":
                return queryset.filter(identity__isnull=True)
        return queryset


class PageInline(admin.TabularInline):
    model = Page
    fields = readonly_fields = ("start_time", "url", "title", "referrer", "end_time", "seen_at")
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = "page viewed"
    verbose_name_plural = "pages viewed, in order"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Visit)
class VisitAdmin(PrivacyActions, IdSearchAdmin):
    def visits_of(self, queryset) -> list[str]:
        return list(queryset.values_list("pk", flat=True))

    list_display = [
        "id",
        "start_time",
        "last_activity",
        "ended",
        "on_site",
        "identity_link",
        "page_count",
        "browser",
    ]
    list_filter = [VisitStateFilter, IdentifiedFilter, "start_time"]
    date_hierarchy = "start_time"
    search_fields = ["identity__id"]
    search_help_text = "A visit ID or global visit ID, or (part of) a visitor's identity."
    id_search_fields = ("pk", "global_visit_id", "identity_id")
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["id", "state", "identity_link", "api", "rules_tried"]}),
        ("When", {"fields": ["start_time", "last_activity", "ended"]}),
        ("Browser", {"fields": ["global_visit_id", "user_agent", "language_code"]}),
        ("What happened", {"fields": ["timeline"]}),
    ]
    readonly_fields = [
        "id",
        "state",
        "identity_link",
        "api",
        "rules_tried",
        "start_time",
        "last_activity",
        "ended",
        "global_visit_id",
        "user_agent",
        "language_code",
        "timeline",
    ]
    inlines = [PageInline]

    def get_queryset(self, request):
        live = Page.objects.live().filter(visit=OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .annotate(page_total=_count(Page, "visit"), on_site_now=Exists(live))
        )

    @admin.display(description="on the site", boolean=True, ordering="on_site_now")
    def on_site(self, visit: Visit) -> bool:
        return visit.on_site_now  # type: ignore[attr-defined]

    @admin.display(description="ended", ordering="end_time")
    def ended(self, visit: Visit) -> str:
        end = visit.effective_end_time()
        return _when(end) if end else "active"

    @admin.display(description="state")
    def state(self, visit: Visit) -> str:
        now = timezone.now()
        if visit.is_active(now) and visit.is_on_site(now):
            return "On the site now: a page of the visit is open."
        if visit.is_active(now):
            return (
                "Not on the site now: no page of the visit is open. The visit goes on if "
                "the visitor comes back before the visit timeout."
            )
        if visit.end_time is None:
            return "Ended: no activity since the visit timeout."
        return "Ended."

    @admin.display(description="identity", ordering="identity_id")
    def identity_link(self, visit: Visit) -> str:
        return _admin_link(Identity, visit.identity_id)

    @admin.display(description="pages", ordering="page_total")
    def page_count(self, visit: Visit) -> int:
        return visit.page_total  # type: ignore[attr-defined]

    @admin.display(description="browser")
    def browser(self, visit: Visit) -> str:
        return Truncator(visit.user_agent).chars(50)

    @admin.display(description="as JSON (History API)")
    def api(self, visit: Visit) -> str:
        return _api_link("history-visit", visit.pk)

    @admin.display(description="invitations")
    def rules_tried(self, visit: Visit) -> str:
        url = reverse("admin:invitations_engagementrule_try") + f"?visit={visit.pk}"
        return format_html('<a href="{}">Why was this visitor invited, or not?</a>', url)

    @admin.display(description="events, oldest first")
    def timeline(self, visit: Visit) -> str:
        events = visit.events.order_by("timestamp", "id")
        all_url = reverse("admin:gwe_event_changelist") + f"?visit__exact={visit.pk}"
        return _event_timeline(events, all_url=all_url, total=visit.events.count())


@admin.register(Page)
class PageAdmin(IdSearchAdmin):
    list_display = ["start_time", "short_url", "title", "visit_link", "event_count", "end_time"]
    list_filter = ["start_time"]
    date_hierarchy = "start_time"
    search_fields = ["url", "title"]
    search_help_text = "A page ID or visit ID, or part of a page's URL or title."
    id_search_fields = ("pk", "visit_id")
    show_full_result_count = False
    ordering = ["-start_time"]
    fields = readonly_fields = (
        "id",
        "visit_link",
        "api",
        "url",
        "title",
        "referrer",
        "start_time",
        "end_time",
        "timeline",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(event_total=_count(Event, "page"))

    @admin.display(description="URL", ordering="url")
    def short_url(self, page: Page) -> str:
        return Truncator(page.url).chars(80)

    @admin.display(description="visit", ordering="visit_id")
    def visit_link(self, page: Page) -> str:
        return _admin_link(Visit, page.visit_id)

    @admin.display(description="events", ordering="event_total")
    def event_count(self, page: Page) -> int:
        return page.event_total  # type: ignore[attr-defined]

    @admin.display(description="its events as JSON (History API)")
    def api(self, page: Page) -> str:
        return _api_link("history-page-events", page.pk)

    @admin.display(description="events, oldest first")
    def timeline(self, page: Page) -> str:
        events = page.events.order_by("timestamp", "id")
        all_url = reverse("admin:gwe_event_changelist") + f"?page__exact={page.pk}"
        return _event_timeline(events, all_url=all_url, total=page.events.count())


@admin.register(Event)
class EventAdmin(IdSearchAdmin):
    list_display = ["time", "event_type", "event_name", "visit_link", "short_url"]
    list_filter = ["event_type", "event_name", "timestamp"]
    date_hierarchy = "timestamp"
    search_fields = ["event_name", "url"]
    search_help_text = "An event, visit or page ID, or part of an event name or URL."
    id_search_fields = ("pk", "visit_id", "page_id")
    show_full_result_count = False
    ordering = ["-timestamp", "-id"]
    fieldsets = [
        (None, {"fields": ["id", "event_type", "event_name", "timestamp"]}),
        ("Where", {"fields": ["visit_link", "page_link", "url", "title", "referrer"]}),
        ("What it carries", {"fields": ["category", "language_code", "pretty_data"]}),
    ]
    readonly_fields = [
        "id",
        "event_type",
        "event_name",
        "timestamp",
        "visit_link",
        "page_link",
        "url",
        "title",
        "referrer",
        "category",
        "language_code",
        "pretty_data",
    ]

    @admin.display(description="time", ordering="timestamp")
    def time(self, event: Event) -> str:
        return _when(event.timestamp)

    @admin.display(description="visit", ordering="visit_id")
    def visit_link(self, event: Event) -> str:
        return _admin_link(Visit, event.visit_id)

    @admin.display(description="page")
    def page_link(self, event: Event) -> str:
        return _admin_link(Page, event.page_id)

    @admin.display(description="page URL", ordering="url")
    def short_url(self, event: Event) -> str:
        return Truncator(event.url).chars(80)

    @admin.display(description="data")
    def pretty_data(self, event: Event) -> str:
        return _pretty_json(event.data)


@admin.register(Identity)
class IdentityAdmin(PrivacyActions, ReadOnlyAdmin):
    def visits_of(self, queryset) -> list[str]:
        return list(Visit.objects.filter(identity__in=queryset).values_list("pk", flat=True))

    def erase(self, queryset) -> dict[str, int]:
        return privacy.identities_erase(list(queryset.values_list("pk", flat=True)))

    list_display = ["id", "first_seen", "last_seen", "visit_count"]
    list_filter = ["last_seen"]
    date_hierarchy = "last_seen"
    search_fields = ["id"]
    search_help_text = "Part of an identity (an e-mail, a customer number)."
    show_full_result_count = False
    fields = readonly_fields = (
        "id",
        "first_seen",
        "last_seen",
        "pretty_attributes",
        "api",
        "visit_list",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(visit_total=_count(Visit, "identity"))

    @admin.display(description="visits", ordering="visit_total")
    def visit_count(self, identity: Identity) -> int:
        return identity.visit_total  # type: ignore[attr-defined]

    @admin.display(description="what the site told about them")
    def pretty_attributes(self, identity: Identity) -> str:
        return _pretty_json(identity.attributes)

    @admin.display(description="visits as JSON (History API)")
    def api(self, identity: Identity) -> str:
        return _api_link("history-identity-visits", identity.pk)

    @admin.display(description="visits, newest first")
    def visit_list(self, identity: Identity) -> str:
        visits = identity.visits.order_by("-start_time")[:TIMELINE_MAX]
        rows = format_html_join(
            "\n",
            "<li>{} — {}</li>",
            ((_admin_link(Visit, v.pk), _when(v.start_time)) for v in visits),
        )
        all_url = (
            reverse("admin:gwe_visit_changelist")
            + "?"
            + urlencode({"identity__exact": identity.pk})
        )
        return format_html(
            '<ul>{}</ul><p><a href="{}">Open in the visit list</a></p>', rows, all_url
        )


# ---- business-event definitions -------------------------------------------------------------


class CapturedValueInline(admin.TabularInline):
    model = CapturedValue
    fields = ["name", "source", "selector", "attribute"]
    extra = 0
    verbose_name = "captured value"
    verbose_name_plural = (
        "What it captures: values read from the page into the event's data (optional)"
    )


@admin.register(BusinessEventDefinition)
class BusinessEventDefinitionAdmin(admin.ModelAdmin):
    list_display = ["name", "enabled", "fires_on", "selector", "url_pattern", "max_per_page"]
    list_display_links = ["name"]
    list_editable = ["enabled"]
    list_filter = ["enabled", "trigger"]
    search_fields = ["name", "selector", "url_pattern", "description"]
    search_help_text = "Part of a name, CSS selector, URL pattern or description."
    fieldsets = [
        (
            None,
            {
                "fields": ["name", "enabled", "description"],
                "description": "A business event is recorded in the visitor's history each "
                "time the visitor does what is described below. Rules can then invite "
                "visitors who did it.",
            },
        ),
        (
            "What triggers it",
            {
                "fields": ["trigger", "selector", "delay_seconds"],
                "description": "A click, form submission, change or mouse-over on the "
                "elements the CSS selector matches; or, for a timer, a number of seconds "
                "spent on the page (no selector needed).",
            },
        ),
        (
            "Where",
            {
                "fields": ["url_pattern", "max_per_page"],
                "description": "Leave the URL pattern blank to watch every page.",
            },
        ),
    ]
    inlines = [CapturedValueInline]

    @admin.display(description="fires on", ordering="trigger")
    def fires_on(self, definition: BusinessEventDefinition) -> str:
        if definition.trigger == BusinessEventDefinition.Trigger.TIMER:
            return f"After {definition.delay_seconds or '?'} s on the page"
        return definition.get_trigger_display()
