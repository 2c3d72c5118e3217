"""What invitations keep of visits, for an export (gwe/privacy.py): the offers and the rules'
decisions. They go with a visit by cascade when it is erased."""

from typing import Any

from invitations.models import EngagementDecision, Invitation


def invitations_export(visit_ids: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "invitationID": invitation.pk,
            "visitID": invitation.visit_id,
            "pageID": invitation.page_id,
            "template": invitation.template.slug,
            "state": invitation.state,
            "engagement": invitation.engagement,
            "offeredAt": invitation.offered_at,
            "data": invitation.data,
        }
        for invitation in Invitation.objects.filter(visit_id__in=visit_ids)
        .select_related("template")
        .order_by("offered_at")
    ]


def decisions_export(visit_ids: list[str]) -> list[dict[str, Any]]:
    decisions = EngagementDecision.objects.filter(visit_id__in=visit_ids).order_by("decided_at")
    return [
        {
            "visitID": decision.visit_id,
            "pageID": decision.page_id,
            "eventName": decision.event_name,
            "decidedAt": decision.decided_at,
            "invitationID": decision.invitation_id,
            "reasons": decision.reasons,
        }
        for decision in decisions
    ]


def by_cascade(visit_ids: list[str]) -> dict[str, int]:
    return {}
