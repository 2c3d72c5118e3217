"""Export and erasure over REST (SPEC §9): what a contact center's privacy desk calls to answer
a visitor's access or erasure request. Capability `privacy` (gwe/api_accounts.py)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gwe import privacy
from gwe.api import DELETED, IDENTITY_ID, MayErase
from gwe.permissions import needs
from gwe.serializers import ErrorSerializer

MayExport = needs("gwe.view_visit", to="export visitors' data")


def _errors(not_found: str, permission: str) -> dict:
    return {
        400: OpenApiResponse(ErrorSerializer, description="a malformed id"),
        401: OpenApiResponse(ErrorSerializer, description="no credentials, or wrong ones"),
        403: OpenApiResponse(ErrorSerializer, description=f"the account lacks {permission}"),
        404: OpenApiResponse(ErrorSerializer, description=not_found),
    }


class IdentityExportView(APIView):
    permission_classes = [IsAuthenticated, MayExport]

    @extend_schema(
        operation_id="identity_export",
        summary="Everything held about an identity",
        description="The identity, its visits with their pages, events, invitations, rule "
        "decisions, notifications, chats with their messages and messages left.",
        tags=["privacy"],
        parameters=[IDENTITY_ID.schema],
        responses={
            200: OpenApiResponse(description="the export, as JSON"),
            **_errors("no such identity", "gwe.view_visit"),
        },
    )
    def get(self, request: Request, identityID: str) -> Response:
        IDENTITY_ID.checked(identityID)
        exported = privacy.identity_export(identityID)
        if exported is None:
            raise NotFound("unknown identity")
        return Response(exported)


class IdentityEraseView(APIView):
    permission_classes = [IsAuthenticated, MayErase]

    @extend_schema(
        operation_id="identity_erase",
        summary="Erase an identity and all that is held about it",
        tags=["privacy"],
        parameters=[IDENTITY_ID.schema],
        responses={200: DELETED, **_errors("no such identity", "gwe.delete_visit")},
    )
    def delete(self, request: Request, identityID: str) -> Response:
        IDENTITY_ID.checked(identityID)
        deleted = privacy.identity_erase(identityID)
        if deleted is None:
            raise NotFound("unknown identity")
        return Response({"deleted": deleted})
