from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, strip_tags
from django.utils.safestring import SafeString, mark_safe

from invitations import admin_explain, admin_report, pacing, rendering, views
from invitations.admin_pacing import last_hour_chart
from invitations.models import (
    BusinessHours,
    Category,
    CategoryTag,
    ChannelPacing,
    EngagementDecision,
    EngagementPolicy,
    EngagementRule,
    Holiday,
    Invitation,
    InvitationTemplate,
    OpeningHours,
    TemplateTranslation,
)
from invitations.pacing_state import UnknownChannel, channel_pace, channels
from invitations.pacing_state import last_hour as pacing_last_hour
from media_adapters.registry import adapters

# ---- engagement --------------------------------------------------------------------------------


def words_refused(form: forms.ModelForm, cleaned: dict) -> None:
    """Each word that is not a valid template gets its error (the words take the visitor's
    attributes, as the HTML does)."""
    for name in rendering.WORDS:
        if (problem := rendering.word_problem(cleaned.get(name) or "")) is not None:
            form.add_error(name, f"Not a valid template: {problem}")


class TemplateTranslationForm(forms.ModelForm):
    class Meta:
        model = TemplateTranslation
        fields = ["language", *rendering.WORDS]

    def clean(self):
        cleaned = super().clean() or {}
        words_refused(self, cleaned)
        return cleaned


class TemplateTranslationInline(admin.TabularInline):
    model = TemplateTranslation
    form = TemplateTranslationForm
    extra = 0
    verbose_name_plural = (
        "In other languages (chosen by the visitor's language; the words may use "
        "{{ visitor.NAME }} too)"
    )


class InvitationTemplateForm(forms.ModelForm):
    class Meta:
        model = InvitationTemplate
        fields = [
            "name",
            "slug",
            "enabled",
            "kind",
            "variant",
            "title",
            "text",
            "accept_label",
            "reject_label",
            "body_html",
            "css",
            "mobile_body_html",
            "adapter",
            "adapter_options",
            "timeout_seconds",
        ]
        widgets = {
            "body_html": forms.Textarea(
                attrs={"rows": 14, "class": "vLargeTextField", "spellcheck": "false"}
            ),
            "mobile_body_html": forms.Textarea(attrs={"rows": 6, "class": "vLargeTextField"}),
            "css": forms.Textarea(
                attrs={"rows": 10, "class": "vLargeTextField", "spellcheck": "false"}
            ),
        }

    def clean(self):
        cleaned = super().clean() or {}
        candidate = InvitationTemplate(
            **{
                k: v
                for k, v in cleaned.items()
                if k in {f.name for f in InvitationTemplate._meta.fields}
            }
        )
        for name, problem in rendering.check(candidate).items():
            self.add_error(name, f"Not a valid template: {problem}")
        self.check_adapter(cleaned.get("adapter"), cleaned.get("adapter_options") or {})
        return cleaned

    def check_adapter(self, alias: str | None, options: dict) -> None:
        """The alias must be configured, and its adapter must accept the options."""
        if not alias:
            return
        configured = adapters()
        if alias not in configured:
            known = ", ".join(sorted(configured)) or "none"
            self.add_error(
                "adapter", f"No media adapter {alias!r} is configured (configured: {known})."
            )
            return
        try:
            configured[alias].template_options(options)
        except ValidationError as exc:
            self.add_error("adapter_options", exc)


@admin.register(InvitationTemplate)
class InvitationTemplateAdmin(admin.ModelAdmin):
    form = InvitationTemplateForm
    list_display = ["name", "slug", "enabled", "kind", "variant", "adapter", "timeout_seconds"]
    list_editable = ["enabled"]
    list_filter = ["enabled", "kind", "variant"]
    search_fields = ["name", "slug", "title"]
    inlines = [TemplateTranslationInline]
    readonly_fields = ["preview"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "enabled", "kind", "variant"]}),
        ("What the visitor reads", {"fields": ["title", "text", "accept_label", "reject_label"]}),
        ("Preview", {"fields": ["preview"]}),
        (
            "Design",
            {"fields": ["body_html", "css", "mobile_body_html"], "classes": ["collapse"]},
        ),
        ("Answering", {"fields": ["adapter", "adapter_options", "timeout_seconds"]}),
    ]

    class Media:
        js = ["invitations/preview.js"]

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [
            path("preview/", preview, name="invitations_invitationtemplate_preview"),
            *super().get_urls(),
        ]

    def preview_view(self, request):
        """The form as it is being edited, rendered as the visitor would see it; 400 with
        what is wrong when it cannot be (the form would not save it either)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not (self.has_change_permission(request) or self.has_add_permission(request)):
            raise PermissionDenied
        form = self.form(request.POST)
        form.full_clean()
        problems = [
            (str(form[name].label), str(error))
            for name in PREVIEWED
            for error in form.errors.get(name, [])
        ]
        if problems:
            return self.preview_refused(request, problems)
        fields = {f.name for f in InvitationTemplate._meta.fields}
        given = {k: v for k, v in form.cleaned_data.items() if k in fields}
        candidate = InvitationTemplate(**given)
        response = views.invitation_response(
            request, candidate, mobile=request.POST.get("_preview_mobile") == "1"
        )
        response["Content-Security-Policy"] = "frame-ancestors 'self'"
        return response

    def preview_refused(self, request, problems: list[tuple[str, str]]) -> TemplateResponse:
        theme = request.POST.get("_preview_theme")
        response = TemplateResponse(
            request,
            "admin/invitations/invitationtemplate/preview_refused.html",
            {"problems": problems, "theme": theme if theme in THEMES else "auto"},
            status=400,
        )
        response["Content-Security-Policy"] = "frame-ancestors 'self'"
        return response

    @admin.display(description="As the visitor sees it")
    def preview(self, template: InvitationTemplate):
        return format_html(
            '<div class="gwe-previews" data-gwe-preview-url="{}">'
            '<figure><figcaption>Desktop</figcaption><div class="gwe-desktop">{}</div></figure>'
            "<figure><figcaption>Phone ({} &times; {} px)</figcaption>"
            '<div class="gwe-phone">{}</div></figure></div>'
            '<p class="help">Updated as you type; nothing is saved until you save. Placed as '
            "the tracker places it: at the bottom right, {} px wide at most and 40 px narrower "
            "than a phone's screen.</p>",
            reverse("admin:invitations_invitationtemplate_preview"),
            preview_frame("desktop"),
            *PHONE,
            preview_frame("mobile"),
            FRAME_WIDTH,
        )


# The invitation's frame at its widest, as the tracker (GPE.js FRAME_STYLE) places it on the
# visitor's page, and the screen of a common phone (the CSS in the change form's template).
FRAME_WIDTH = 380
PHONE = (360, 640)
PREVIEWED = ["title", "text", "accept_label", "reject_label", "body_html", "mobile_body_html"]
THEMES = {"auto", "light", "dark"}


def preview_frame(kind: str) -> SafeString:
    return format_html(
        '<iframe data-gwe-preview="{}" sandbox="allow-scripts" title="{} preview"></iframe>',
        kind,
        kind.capitalize(),
    )


class CategoryTagInline(admin.TabularInline):
    model = CategoryTag
    extra = 1
    verbose_name_plural = "Tags: a page is in the category when any of them matches"


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "enabled", "description"]
    list_editable = ["enabled"]
    search_fields = ["name", "description"]
    inlines = [CategoryTagInline]


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessHours)
class BusinessHoursAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone"]
    inlines = [OpeningHoursInline, HolidayInline]


LIMITS_FIELDSET: tuple = (
    "Limits (blank: the global engagement policy's)",
    {"fields": list(EngagementRule.LIMIT_FIELDS), "classes": ["collapse"]},
)


class RuleChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        answering = admin_explain.Answering()
        for rule in self.result_list:
            rule.answer = answering.of(rule)


@admin.register(EngagementRule)
class EngagementRuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "enabled",
        "priority",
        "invitation",
        "answering_now",
        "fires_on",
    ]
    list_editable = ["enabled", "priority"]
    list_select_related = ["template"]
    list_filter = ["enabled", "template"]
    search_fields = ["name", "description", "event_name", "url_pattern"]
    filter_horizontal = ["categories"]
    autocomplete_fields = ["template"]
    readonly_fields = ["answering_now"]
    fieldsets = [
        (
            None,
            {"fields": ["name", "enabled", "answering_now", "priority", "template", "description"]},
        ),
        (
            "Where and when (every condition set must hold; blank means any)",
            {
                "fields": [
                    "categories",
                    "url_pattern",
                    ("event_name", "event_min_count", "event_within_seconds"),
                    "sequence",
                    ("min_seconds_on_page", "min_seconds_on_site", "min_pages_viewed"),
                    "referrer_pattern",
                    ("visitor", "identity", "device"),
                    "languages",
                    "business_hours",
                ]
            },
        ),
        LIMITS_FIELDSET,
    ]

    def get_changelist(self, request, **kwargs):
        return RuleChangeList

    @admin.display(description="answering now")
    def answering_now(self, rule: EngagementRule) -> SafeString:
        if rule.pk is None:
            return mark_safe("Said here once the rule is saved.")
        # The list asked once per adapter for the whole page (RuleChangeList); a rule's page
        # asks now, and says it in a sentence.
        listed = getattr(rule, "answer", None)
        answer = listed or admin_explain.Answering().of(rule)
        return format_html(
            '<span title="{}"><img src="{}" alt="{}"> {}</span>',
            strip_tags(answer.said),
            static(f"admin/img/icon-{'yes' if answer.yes else 'no'}.svg"),
            "Yes" if answer.yes else "No",
            answer.short if listed else answer.said,
        )

    @admin.display(ordering="template__name")
    def invitation(self, rule: EngagementRule) -> str:
        return rule.template.name

    @admin.display(description="fires on", ordering="event_name")
    def fires_on(self, rule: EngagementRule) -> str:
        event = rule.event_name or "any event"
        return f"{event} at {rule.url_pattern}" if rule.url_pattern else event

    def get_urls(self):
        explain = self.admin_site.admin_view(self.explain_view)
        return [
            path("try/", explain, name="invitations_engagementrule_try"),
            *super().get_urls(),
        ]

    def explain_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "opts": self.model._meta}
        return admin_explain.explain_view(request, context)


@admin.register(EngagementPolicy)
class EngagementPolicyAdmin(admin.ModelAdmin):
    fieldsets = [
        (None, {"fields": ["mode", "webhook_url"]}),
        ("Limits for every rule", {"fields": list(EngagementPolicy.LIMIT_FIELDS)}),
    ]

    def has_add_permission(self, request):
        return not EngagementPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["offered_at", "template", "rule", "state", "engagement", "visit", "reason"]
    list_filter = ["state", "engagement", "template", "rule"]
    date_hierarchy = "offered_at"
    search_fields = ["id", "visit__id", "global_visit_id"]

    def get_urls(self):
        report = self.admin_site.admin_view(self.report_view)
        return [
            path("report/", report, name="invitations_invitation_report"),
            *super().get_urls(),
        ]

    def report_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "opts": self.model._meta}
        context["time_zone"] = settings.TIME_ZONE
        return admin_report.report_view(request, context)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EngagementDecision)
class EngagementDecisionAdmin(admin.ModelAdmin):
    list_display = ["decided_at", "event_name", "visit", "invitation", "summary"]
    search_fields = ["visit__id", "event_name"]
    date_hierarchy = "decided_at"

    @admin.display(description="why")
    def summary(self, decision: EngagementDecision) -> str:
        return "; ".join(f"{r['rule']}: {r['why']}" for r in decision.reasons)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ChannelPacingForm(forms.ModelForm):
    class Meta:
        model = ChannelPacing
        fields = [
            "channel",
            "enabled",
            "algorithm",
            "optimization_target",
            "optimization_goal",
            "slots",
            "handle_seconds",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        known = [(alias, alias) for alias in channels()]
        current = self.instance.channel
        if current and current not in dict(known):
            known.append((current, f"{current} (not configured)"))
        self.fields["channel"] = forms.ChoiceField(
            choices=known, help_text=ChannelPacing._meta.get_field("channel").help_text
        )


@admin.register(ChannelPacing)
class ChannelPacingAdmin(admin.ModelAdmin):
    """How each channel is paced, and how it stands now."""

    form = ChannelPacingForm
    list_display = [
        "channel",
        "paced",
        "algorithm_now",
        "goal_said",
        "agents_ready",
        "free_now",
        "pending_now",
        "acceptance_now",
        "allowed_now",
    ]
    fieldsets = [
        (None, {"fields": ["channel", "enabled", "algorithm"]}),
        ("Goal", {"fields": ["optimization_target", "optimization_goal"]}),
        ("For a channel that cannot say what it can take", {"fields": ["slots", "handle_seconds"]}),
        ("Now", {"fields": ["now", "last_hour"]}),
    ]
    readonly_fields = ["now", "last_hour"]

    def get_queryset(self, request):
        # A channel with no row yet is paced by the defaults: listed as such.
        for channel in channels():
            ChannelPacing.objects.get_or_create(channel=channel)
        return super().get_queryset(request)

    def pace(self, row: ChannelPacing):
        cached = getattr(row, "_pace", None)
        if cached is None:
            try:
                cached = channel_pace(row.channel)
            except UnknownChannel:
                cached = False
            row._pace = cached  # type: ignore[attr-defined]
        return cached or None

    def _figure(self, row, name):
        pace = self.pace(row)
        value = pace.as_json()[name] if pace else None
        return "—" if value is None else value

    @admin.display(description="paced", boolean=True)
    def paced(self, row):
        return row.enabled

    @admin.display(description="algorithm")
    def algorithm_now(self, row):
        return self._figure(row, "algorithm")

    @admin.display(description="goal")
    def goal_said(self, row):
        goal = row.goal
        label = "abandonment ≤" if goal.target == pacing.ABANDONMENT_RATE else "busy"
        return f"{label} {goal.value:.0%}"

    @admin.display(description="agents")
    def agents_ready(self, row):
        return self._figure(row, "agentsReady")

    @admin.display(description="free")
    def free_now(self, row):
        return self._figure(row, "freeCapacity")

    @admin.display(description="pending")
    def pending_now(self, row):
        return self._figure(row, "pendingOffers")

    @admin.display(description="accepted")
    def acceptance_now(self, row):
        pace = self.pace(row)
        return f"{pace.acceptance_rate:.0%}" if pace else "—"

    @admin.display(description="may offer now")
    def allowed_now(self, row):
        pace = self.pace(row)
        if not pace:
            return "—"
        return "no limit (not paced)" if pace.allowed is None else pace.allowed

    @admin.display(description="The last hour")
    def last_hour(self, row):
        if not row.pk:
            return "—"
        now = timezone.now()
        return last_hour_chart(pacing_last_hour(row.channel, now), now)

    @admin.display(description="Pacing now")
    def now(self, row):
        pace = self.pace(row) if row.pk else None
        if not pace:
            return "Shown once saved, for a configured channel."
        said = pace.refusal() or (
            "Not paced: the channel cannot say what it can take; set its conversations at once."
            if pace.allowed is None
            else f"{pace.allowed} more may be offered now."
        )
        figures = pace.as_json()
        return format_html(
            "{}<br>agents ready {}, free slots {}, offers pending {}, {} of offers accepted in "
            "the last hour",
            said,
            figures["agentsReady"] if figures["agentsReady"] is not None else "—",
            figures["freeCapacity"] if figures["freeCapacity"] is not None else "—",
            figures["pendingOffers"],
            f"{pace.acceptance_rate:.0%}",
        )
