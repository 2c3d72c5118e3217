"""The engagement gateway, for external strategies: engage a visit, or withdraw; and the
invitation report."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from gwe.models import Page, Visit
from gwe.permissions import needs
from gwe.serializers import ErrorSerializer, GweIdField
from invitations import engine, reporting, services
from invitations.models import EngagementRule, InvitationTemplate


class EngageSerializer(serializers.Serializer):
    visitID = GweIdField("visitID")
    pageID = GweIdField("pageID", required=False, allow_null=True)
    invitation = serializers.SlugField(help_text="the template's slug, e.g. invite")
    data = serializers.DictField(required=False, default=dict)


class NoEngageSerializer(serializers.Serializer):
    visitID = GweIdField("visitID")
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=256)


UNAUTHORIZED = OpenApiResponse(ErrorSerializer, description="no credentials, or wrong ones")


MayEngage = needs("invitations.add_invitation", to="engage visitors")
MayWithdraw = needs("invitations.change_invitation", to="withdraw invitations")
MayReadReports = needs("invitations.view_invitation", to="read the invitation report")


def refused(reason: str) -> Response:
    return Response({"reason": reason, "error": reason}, status=status.HTTP_409_CONFLICT)


class EngageView(APIView):
    """Offer an invitation to a visit now, as an external strategy decided (no rules, no
    policy): to the page named, or the visit's latest page."""

    permission_classes = [IsAuthenticated, MayEngage]

    @extend_schema(
        operation_id="engage",
        summary="Offer an invitation to a visit now",
        tags=["engagement"],
        request=EngageSerializer,
        responses={
            202: OpenApiResponse(
                inline_serializer("Engaged", {"invitationID": serializers.CharField()}),
                description="offered: pushed to the page",
            ),
            400: OpenApiResponse(ErrorSerializer, description="a malformed body or id"),
            401: UNAUTHORIZED,
            403: OpenApiResponse(
                ErrorSerializer, description="the account lacks invitations.add_invitation"
            ),
            404: OpenApiResponse(
                ErrorSerializer, description="unknown visit, page or enabled invitation"
            ),
            409: OpenApiResponse(
                inline_serializer(
                    "EngageRefused",
                    {
                        "reason": serializers.CharField(),
                        "error": serializers.CharField(help_text="the reason, as every error"),
                    },
                ),
                description="the visit has ended, or the engagement policy refuses "
                "(another invitation pending, a cap, nobody available)",
            ),
        },
    )
    def post(self, request):
        serializer = EngageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        visit = Visit.objects.filter(pk=values["visitID"]).first()
        if visit is None:
            raise NotFound(f"unknown visit {values['visitID']}")
        if not visit.is_active():
            return refused("the visit has ended")
        pages = Page.objects.select_related("visit").filter(visit=visit)
        page = (
            pages.filter(pk=values["pageID"]).first()
            if values.get("pageID")
            else pages.order_by("-start_time").first()
        )
        if page is None:
            raise NotFound("no such page in this visit")
        template = InvitationTemplate.objects.filter(
            slug=values["invitation"], enabled=True
        ).first()
        if template is None:
            raise NotFound(f"no enabled invitation {values['invitation']}")
        # One transaction: pacing locks the channel until this offer is stored.
        with transaction.atomic():
            if why := engine.external_refusal(page=page, template=template):
                engine.gateway_refused(page=page, template=template, why=why)
                return refused(why)
            invitation = services.invitation_offer(
                page=page, template=template, rule=None, data=values["data"]
            )
        return Response({"invitationID": invitation.pk}, status=status.HTTP_202_ACCEPTED)


class NoEngageView(APIView):
    """Withdraw the visit's pending invitations; they are removed from its pages."""

    permission_classes = [IsAuthenticated, MayWithdraw]

    @extend_schema(
        operation_id="noengage",
        summary="Withdraw a visit's pending invitations",
        tags=["engagement"],
        request=NoEngageSerializer,
        responses={
            200: OpenApiResponse(
                inline_serializer(
                    "Withdrawn",
                    {"cancelled": serializers.ListField(child=serializers.CharField())},
                ),
                description="the invitations cancelled (none is fine)",
            ),
            400: OpenApiResponse(ErrorSerializer, description="a malformed body"),
            401: UNAUTHORIZED,
            403: OpenApiResponse(
                ErrorSerializer, description="the account lacks invitations.change_invitation"
            ),
            404: OpenApiResponse(ErrorSerializer, description="unknown visit"),
        },
    )
    def post(self, request):
        serializer = NoEngageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        visit_id = serializer.validated_data["visitID"]
        if not Visit.objects.filter(pk=visit_id).exists():
            raise NotFound(f"unknown visit {visit_id}")
        cancelled = services.invitations_cancel(
            visit_id=visit_id, reason=serializer.validated_data["reason"]
        )
        return Response({"cancelled": [i.pk for i in cancelled]})


class InvitationReportQuerySerializer(serializers.Serializer):
    template = serializers.SlugField(required=False, help_text="only this template's slug")
    rule = serializers.IntegerField(required=False, min_value=1, help_text="only this rule's id")

    def get_fields(self):
        # `from` is a Python keyword, so these two cannot be declared as attributes.
        return {
            "from": serializers.DateField(
                source="since",
                required=False,
                help_text="first day, YYYY-MM-DD; by default 29 days before `to`",
            ),
            "to": serializers.DateField(
                source="until",
                required=False,
                help_text="last day (included), YYYY-MM-DD; by default today",
            ),
            **super().get_fields(),
        }

    def validate_template(self, slug):
        if not InvitationTemplate.objects.filter(slug=slug).exists():
            raise serializers.ValidationError(f"no invitation template {slug!r}")
        return slug

    def validate_rule(self, rule_id):
        if not EngagementRule.objects.filter(pk=rule_id).exists():
            raise serializers.ValidationError(f"no engagement rule {rule_id}")
        return rule_id

    def validate(self, attrs):
        until = attrs.setdefault("until", timezone.localdate())
        since = attrs.setdefault("since", until - timedelta(days=29))
        if until < since:
            raise serializers.ValidationError({"to": "comes before from"})
        if (until - since).days >= reporting.MAX_DAYS:
            raise serializers.ValidationError(
                {"to": f"at most {reporting.MAX_DAYS} days at a time"}
            )
        return attrs


class InvitationTallySerializer(serializers.Serializer):
    offered = serializers.IntegerField()
    shown = serializers.IntegerField()
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    timedOut = serializers.IntegerField(source="timed_out")
    expired = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    heldBackByPacing = serializers.IntegerField(
        source="held_back", help_text="offers a rule matched for and pacing held back"
    )
    conversionRate = serializers.FloatField(source="conversion", help_text="accepted / offered")


class InvitationReportRowSerializer(serializers.Serializer):
    """One day, template and rule: flat, with the counts next to the keys."""

    day = serializers.DateField()
    template = serializers.CharField(help_text="the template's slug")
    rule = serializers.CharField(help_text=f"the rule's name, or {reporting.NO_RULE!r}")
    offered = serializers.IntegerField(source="tally.offered")
    shown = serializers.IntegerField(source="tally.shown")
    accepted = serializers.IntegerField(source="tally.accepted")
    rejected = serializers.IntegerField(source="tally.rejected")
    timedOut = serializers.IntegerField(source="tally.timed_out")
    expired = serializers.IntegerField(source="tally.expired")
    cancelled = serializers.IntegerField(source="tally.cancelled")
    heldBackByPacing = serializers.IntegerField(
        source="tally.held_back", help_text="offers a rule matched for and pacing held back"
    )
    conversionRate = serializers.FloatField(source="tally.conversion")


class InvitationReportSerializer(serializers.Serializer):
    rows = InvitationReportRowSerializer(many=True)
    totals = InvitationTallySerializer()

    def get_fields(self):
        return {
            "from": serializers.DateField(source="since"),
            "to": serializers.DateField(source="until"),
            **super().get_fields(),
        }


class InvitationReportView(APIView):
    """How invitations fared per day, template and rule (the admin's report, as JSON)."""

    permission_classes = [IsAuthenticated, MayReadReports]

    @extend_schema(
        operation_id="invitation_report",
        summary="Invitations offered, shown, answered, per day, template and rule",
        description="Days are those of the site's time zone (GWE_TIME_ZONE). `rule` is "
        f"{reporting.NO_RULE!r} for invitations offered through the engage gateway.",
        tags=["reports"],
        parameters=[InvitationReportQuerySerializer],
        responses={
            200: InvitationReportSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="a malformed date, `to` before `from`, more than "
                f"{reporting.MAX_DAYS} days, an unknown template or rule",
            ),
            401: UNAUTHORIZED,
            403: OpenApiResponse(
                ErrorSerializer, description="the account lacks invitations.view_invitation"
            ),
        },
    )
    def get(self, request):
        query = InvitationReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = reporting.invitation_report(**query.validated_data)
        return Response(InvitationReportSerializer(report).data)
