from django.contrib import admin

from invitations.models import BusinessEventDefinition, CapturedValue


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
