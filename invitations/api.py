"""The engagement gateway, for external strategies: engage a visit, or withdraw; and the
invitation report."""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from gwe.ids import is_valid_id
from gwe.models import Page, Visit
from invitations import engine, reporting, services
from invitations.models import InvitationTemplate


class EngageSerializer(serializers.Serializer):
    visitID = serializers.CharField()
    pageID = serializers.CharField(required=False, allow_null=True)
    invitation = serializers.SlugField(help_text="the template's slug, e.g. invite")
    data = serializers.DictField(required=False, default=dict)

    def validate_visitID(self, value):
        if not is_valid_id(value):
            raise serializers.ValidationError("not a well-formed visit id")
        return value

    def validate_pageID(self, value):
        if value is not None and not is_valid_id(value):
            raise serializers.ValidationError("not a well-formed page id")
        return value


class NoEngageSerializer(serializers.Serializer):
    visitID = serializers.CharField()
    reason = serializers.CharField(required=False, default="", max_length=256)


def require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied()


def refused(reason: str) -> Response:
    return Response({"reason": reason, "error": reason}, status=status.HTTP_409_CONFLICT)


class EngageView(APIView):
    """Offer an invitation to a visit now, as an external strategy decided (no rules, no
    policy): to the page named, or the visit's latest page."""

    @extend_schema(
        operation_id="engage",
        request=EngageSerializer,
        responses={
            202: OpenApiResponse(description="{invitationID}"),
            404: OpenApiResponse(description="unknown visit, page or invitation"),
            409: OpenApiResponse(
                description="{reason}: the visit has ended, or the engagement policy refuses "
                "(another invitation pending, a cap, nobody available)"
            ),
        },
    )
    def post(self, request):
        require(request, "invitations.add_invitation")
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
        if why := engine.external_refusal(page=page, template=template):
            return refused(why)
        invitation = services.invitation_offer(
            page=page, template=template, rule=None, data=values["data"]
        )
        return Response({"invitationID": invitation.pk}, status=status.HTTP_202_ACCEPTED)


class NoEngageView(APIView):
    """Withdraw the visit's pending invitations; they are removed from its pages."""

    @extend_schema(
        operation_id="noengage",
        request=NoEngageSerializer,
        responses={
            200: OpenApiResponse(description="{cancelled: [invitationID, ...]}"),
            404: OpenApiResponse(description="unknown visit"),
        },
    )
    def post(self, request):
        require(request, "invitations.change_invitation")
        serializer = NoEngageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        visit_id = serializer.validated_data["visitID"]
        if not Visit.objects.filter(pk=visit_id).exists():
            raise NotFound(f"unknown visit {visit_id}")
        cancelled = services.invitations_cancel(
            visit_id=visit_id, reason=serializer.validated_data["reason"]
        )
        return Response({"cancelled": [i.pk for i in cancelled]})


class ReportQuerySerializer(serializers.Serializer):
    since = serializers.DateField(required=False, help_text="first day, YYYY-MM-DD")
    until = serializers.DateField(required=False, help_text="last day (included), YYYY-MM-DD")
    template = serializers.SlugField(required=False, help_text="only this template's slug")
    rule = serializers.IntegerField(required=False, min_value=1, help_text="only this rule id")

    def validate(self, attrs):
        until = attrs.setdefault("until", timezone.localdate())
        since = attrs.setdefault("since", until - timedelta(days=29))
        if until < since:
            raise serializers.ValidationError({"until": "comes before since"})
        if (until - since).days >= reporting.MAX_DAYS:
            raise serializers.ValidationError(f"at most {reporting.MAX_DAYS} days at a time")
        return attrs


class TallySerializer(serializers.Serializer):
    offered = serializers.IntegerField()
    shown = serializers.IntegerField()
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    timedOut = serializers.IntegerField(source="timed_out")
    expired = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    conversionRate = serializers.FloatField(source="conversion")


class ReportRowSerializer(serializers.Serializer):
    day = serializers.DateField()
    template = serializers.CharField()
    rule = serializers.CharField()

    def to_representation(self, row):
        return {**super().to_representation(row), **TallySerializer(row.tally).data}


class ReportSerializer(serializers.Serializer):
    since = serializers.DateField()
    until = serializers.DateField()
    rows = ReportRowSerializer(many=True)
    totals = TallySerializer()


class InvitationReportView(APIView):
    """How invitations fared per day, template and rule (the admin's report, as JSON)."""

    @extend_schema(
        operation_id="invitation_report",
        parameters=[ReportQuerySerializer],
        responses={
            200: ReportSerializer,
            400: OpenApiResponse(description="a malformed date or range"),
            403: OpenApiResponse(description="the account lacks invitations.view_invitation"),
        },
    )
    def get(self, request):
        require(request, "invitations.view_invitation")
        query = ReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = reporting.invitation_report(**query.validated_data)
        return Response(ReportSerializer(report).data)
