"""The engagement policy: may this visitor be offered an invitation now? Global limits,
each of which a rule may override."""

from datetime import timedelta

from invitations.facts import VisitFacts
from invitations.models import EngagementRule


def limits_for(rule: EngagementRule | None, policy: dict) -> dict:
    """The policy's limits with the rule's own where it sets them."""
    if rule is None:
        return dict(policy)
    return {
        name: (policy[name] if getattr(rule, name) is None else getattr(rule, name))
        for name in policy
    }


NO_LIVE_CHANNEL = "the page has no live connection to receive it (closed, or never connected)"


def refusal(limits: dict, facts: VisitFacts) -> str | None:
    """Why the policy says no, or None when it says yes."""
    if not facts.page.is_live(facts.now):
        return NO_LIVE_CHANNEL
    counts = facts.invitations
    if limits["one_at_a_time"] and counts.pending:
        return "another invitation is on screen (one at a time)"
    caps = [
        ("max_per_page", counts.on_page, "on this page"),
        ("max_per_visit", counts.in_visit, "in this visit"),
        ("max_per_visitor_day", counts.visitor_today, "for this visitor today"),
        ("max_per_visitor", counts.visitor_ever, "for this visitor"),
    ]
    for name, count, where in caps:
        cap = limits[name]
        if cap and count >= cap:
            return f"already {count} invitation(s) {where} (at most {cap})"
    cooldowns = [
        ("cooldown_after_reject", counts.last_rejected, "rejected"),
        ("cooldown_after_timeout", counts.last_timed_out, "ignored"),
        ("cooldown_after_accept", counts.last_accepted, "accepted"),
    ]
    for name, last, what in cooldowns:
        wait = limits[name]
        if wait and last is not None and facts.now < last + timedelta(seconds=wait):
            return f"an invitation was {what} less than {wait} s ago"
    return None
