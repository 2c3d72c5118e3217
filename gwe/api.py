"""The History API: what a contact center reads of a visitor's visits, pages and events."""

from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gwe import privacy, selectors
from gwe.api_params import PAGE_ID, VISIT_ID, PathParameter
from gwe.models import Identity
from gwe.permissions import needs
from gwe.serializers import (
    ErrorSerializer,
    EventFilterSerializer,
    EventSerializer,
    VisitSerializer,
    VisitSummarySerializer,
)

DELETED = inline_serializer(
    "Deleted",
    {"deleted": serializers.DictField(child=serializers.IntegerField(), help_text="kind → rows")},
)
IDENTITY_ID_MAX: int = Identity._meta.get_field("id").max_length  # type: ignore[assignment]


MayErase = needs("gwe.delete_visit", to="erase visitors' data")
CanViewVisits = needs("gwe.view_visit", to="read visitor history")


def _errors(not_found: str) -> dict:
    return {
        400: OpenApiResponse(ErrorSerializer, description="an id or a filter is malformed"),
        401: OpenApiResponse(ErrorSerializer, description="no credentials, or wrong ones"),
        403: OpenApiResponse(ErrorSerializer, description="the account lacks gwe.view_visit"),
        404: OpenApiResponse(ErrorSerializer, description=not_found),
    }


IDENTITY_ID = PathParameter(
    "identityID",
    "the identity the site named in SignIn or UserInfo",
    rf"^[\s\S]{{1,{IDENTITY_ID_MAX}}}$",
    f"an identity ID has 1 to {IDENTITY_ID_MAX} characters",
)


class HistoryView(APIView):
    permission_classes = [IsAuthenticated, CanViewVisits]


class VisitView(HistoryView):
    """GET: the History API's visit; DELETE: its erasure (SPEC §9, the same path)."""

    def get_permissions(self):
        if self.request.method == "DELETE":
            return [IsAuthenticated(), MayErase()]
        return super().get_permissions()

    @extend_schema(
        operation_id="visit",
        summary="A visit with its pages and events",
        tags=["history"],
        parameters=[VISIT_ID.schema],
        responses={200: VisitSerializer, **_errors("no such visit")},
    )
    def get(self, request: Request, visitID: str) -> Response:
        VISIT_ID.checked(visitID)
        visit = selectors.visit_get(visit_id=visitID)
        if visit is None:
            raise NotFound("unknown visit")
        return Response(VisitSerializer(visit, context={"now": timezone.now()}).data)

    @extend_schema(
        operation_id="visit_erase",
        summary="Erase one visit and all that hangs on it",
        tags=["privacy"],
        parameters=[VISIT_ID.schema],
        responses={
            200: DELETED,
            400: OpenApiResponse(ErrorSerializer, description="a malformed id"),
            401: OpenApiResponse(ErrorSerializer, description="no credentials, or wrong ones"),
            403: OpenApiResponse(ErrorSerializer, description="the account lacks gwe.delete_visit"),
            404: OpenApiResponse(ErrorSerializer, description="no such visit"),
        },
    )
    def delete(self, request: Request, visitID: str) -> Response:
        VISIT_ID.checked(visitID)
        deleted = privacy.visits_erase([visitID])
        if not deleted.get("visits"):
            raise NotFound("unknown visit")
        return Response({"deleted": deleted})


class VisitEventsView(HistoryView):
    @extend_schema(
        operation_id="visit_events",
        summary="A visit's events, oldest first, optionally filtered",
        description="Every filter given narrows the list; unknown parameters are ignored.",
        tags=["history"],
        parameters=[VISIT_ID.schema, EventFilterSerializer],
        responses={200: EventSerializer(many=True), **_errors("no such visit")},
    )
    def get(self, request: Request, visitID: str) -> Response:
        VISIT_ID.checked(visitID)
        filters = EventFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        events = selectors.visit_events(visit_id=visitID, **filters.filters())
        if events is None:
            raise NotFound("unknown visit")
        return Response(EventSerializer(events, many=True).data)


class PageEventsView(HistoryView):
    @extend_schema(
        operation_id="page_events",
        summary="One page view's events, oldest first",
        tags=["history"],
        parameters=[PAGE_ID.schema],
        responses={200: EventSerializer(many=True), **_errors("no such page")},
    )
    def get(self, request: Request, pageID: str) -> Response:
        PAGE_ID.checked(pageID)
        events = selectors.page_events(page_id=pageID)
        if events is None:
            raise NotFound("unknown page")
        return Response(EventSerializer(events, many=True).data)


class IdentityVisitsView(HistoryView):
    @extend_schema(
        operation_id="identity_visits",
        summary="An identity's visits, newest first, with their pages",
        description="Each visit as in GET visits/{visitID}, without its events: "
        "ask for a visit or its events for those.",
        tags=["history"],
        parameters=[IDENTITY_ID.schema],
        responses={200: VisitSummarySerializer(many=True), **_errors("no such identity")},
    )
    def get(self, request: Request, identityID: str) -> Response:
        IDENTITY_ID.checked(identityID)
        visits = selectors.identity_visits(identity_id=identityID)
        if visits is None:
            raise NotFound("unknown identity")
        context = {"now": timezone.now()}
        return Response(VisitSummarySerializer(visits, many=True, context=context).data)
