"""The Pacing API (SPEC §8): a channel's pacing now, and the probability with which a
visitor-initiated engagement should be let through."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from gwe.api_params import PathParameter
from gwe.permissions import needs
from gwe.serializers import ErrorSerializer
from invitations import pacing
from invitations.api import UNAUTHORIZED
from invitations.pacing_state import UnknownChannel, channel_pace, channels

PERMISSION = "invitations.view_channelpacing"
MayReadPacing = needs(PERMISSION, to="read pacing")
CHANNEL = PathParameter(
    "channel",
    "a media adapter alias, e.g. gwe-chat",
    r"^[A-Za-z0-9_.-]{1,64}$",
    "letters, digits and . _ - (at most 64)",
)


class PacingSerializer(serializers.Serializer):
    channel = serializers.CharField(help_text="a media adapter alias, e.g. gwe-chat")
    algorithm = serializers.ChoiceField(
        choices=[pacing.PROGRESSIVE, pacing.PREDICTIVE, "none"],
        help_text="none: the channel reports no capacity and has none set, or pacing is off",
    )
    agentsReady = serializers.IntegerField(allow_null=True)
    freeCapacity = serializers.IntegerField(allow_null=True, help_text="slots free now")
    pendingOffers = serializers.IntegerField(help_text="offers out, not yet answered")
    acceptanceRate = serializers.FloatField(help_text="of the last hour's answered offers")
    allowedOffers = serializers.IntegerField(
        allow_null=True, help_text="how many more may be offered now; null: not paced"
    )
    optimizationTarget = serializers.ChoiceField(choices=list(pacing.TARGETS))
    optimizationGoal = serializers.FloatField(help_text="a share, 0 to 1 (0.03 is 3 %)")


class ReactiveStateSerializer(serializers.Serializer):
    channel = serializers.CharField()
    probability = serializers.FloatField(
        help_text="0 to 1: let a new visitor-initiated engagement through with this chance"
    )


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="a malformed channel name"),
    401: UNAUTHORIZED,
    403: OpenApiResponse(ErrorSerializer, description=f"the account lacks {PERMISSION}"),
    404: OpenApiResponse(
        ErrorSerializer, description="unknown channel (the error names the known ones)"
    ),
}


def _pace(channel: str):
    CHANNEL.checked(channel)
    try:
        return channel_pace(channel)
    except UnknownChannel:
        known = ", ".join(channels()) or "none"
        raise NotFound(f"unknown channel {channel!r} (known: {known})") from None


class PacingView(APIView):
    permission_classes = [IsAuthenticated, MayReadPacing]

    @extend_schema(
        operation_id="pacing",
        summary="A channel's pacing now",
        tags=["pacing"],
        parameters=[CHANNEL.schema],
        responses={200: PacingSerializer, **ERRORS},
    )
    def get(self, request, channel: str):
        return Response(_pace(channel).as_json())


class ReactiveStateView(APIView):
    permission_classes = [IsAuthenticated, MayReadPacing]

    @extend_schema(
        operation_id="pacing_reactive_state",
        summary="Whether to let a visitor-initiated engagement through now",
        tags=["pacing"],
        parameters=[CHANNEL.schema],
        responses={200: ReactiveStateSerializer, **ERRORS},
    )
    def get(self, request, channel: str):
        probability = _pace(channel).reactive_probability
        return Response({"channel": channel, "probability": probability})
