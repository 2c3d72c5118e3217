"""What business users configured, compiled once and re-read when they change it (within a
second, in every process: gwe/refreshed.py): ingestion consults categories and rules for
every event."""

from dataclasses import dataclass, field

from gwe.refreshed import Refreshed, edits_of
from invitations.categories import CompiledCategory, categories_of, compile_categories
from invitations.models import (
    POLICY_DEFAULTS,
    BusinessHours,
    Category,
    EngagementPolicy,
    EngagementRule,
    InvitationTemplate,
)
from invitations.rules import compiled
from invitations.schedule import WeeklySchedule

PAGES_KEPT = 10_000


@dataclass(frozen=True)
class Configuration:
    categories: list[CompiledCategory]
    # Enabled, highest priority first, template loaded, category_names set (rules.py).
    rules: list[EngagementRule]
    schedules: dict[int, WeeklySchedule]
    policy: dict  # limit name → value
    mode: str
    webhook_url: str
    # The rules an event of each name can trigger, in priority order: the rules that name it
    # and those that name none. An event costs nothing for the rules it cannot match.
    by_event: dict[str, list[EngagementRule]] = field(default_factory=dict)
    any_event: list[EngagementRule] = field(default_factory=list)
    # The categories of the pages seen lately: a page sends many events with one URL and title.
    pages: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.any_event[:] = [rule for rule in self.rules if not rule.event_name]
        for name in {rule.event_name for rule in self.rules if rule.event_name}:
            self.by_event[name] = [r for r in self.rules if r.event_name in ("", name)]

    def rules_for(self, event_name: str) -> list[EngagementRule]:
        return self.by_event.get(event_name, self.any_event)

    def categories_of_page(self, url: str, title: str) -> list[str]:
        found = self.pages.get((url, title))
        if found is None:
            if len(self.pages) >= PAGES_KEPT:
                self.pages.clear()
            found = self.pages[url, title] = categories_of(self.categories, url=url, title=title)
        return list(found)


def _version() -> tuple:
    """Changes with any edit: the admin saves the parent row with its inlines."""
    return edits_of(Category, EngagementRule, InvitationTemplate, BusinessHours, EngagementPolicy)


def _load() -> Configuration:
    categories = Category.objects.filter(enabled=True).prefetch_related("tags")
    rules = list(
        EngagementRule.objects.filter(enabled=True, template__enabled=True)
        .select_related("template")
        .prefetch_related("categories")
    )
    shared: dict = {}  # rules that set a condition alike share its test (rules.py)
    for rule in rules:
        # Once here rather than per event: a related manager for every rule and event cost
        # more than all of a rule's other conditions together (tests/bench/engagement.py).
        names = frozenset(c.name for c in rule.categories.all())
        rule.category_names = names  # type: ignore[attr-defined]
        rule.tests = compiled(rule, shared)  # type: ignore[attr-defined]
    schedules = {
        h.pk: WeeklySchedule.of(h)
        for h in BusinessHours.objects.prefetch_related("hours", "holidays")
    }
    policy_row = EngagementPolicy.objects.first()
    policy = {name: (getattr(policy_row, name) if policy_row else None) for name in POLICY_DEFAULTS}
    policy = {k: (POLICY_DEFAULTS[k] if v is None else v) for k, v in policy.items()}
    return Configuration(
        categories=compile_categories(categories),
        rules=rules,
        schedules=schedules,
        policy=policy,
        mode=policy_row.mode if policy_row else EngagementPolicy.Mode.BUILT_IN,
        webhook_url=policy_row.webhook_url if policy_row else "",
    )


configuration_copy = Refreshed(_load, _version)


def configuration() -> Configuration:
    return configuration_copy.get()


def forget_configuration() -> None:
    """Re-read on next use (tests that edit rules and evaluate at once)."""
    configuration_copy.forget()
