"""The History API: what a contact center reads of a visitor's visits, pages and events."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gwe import selectors
from gwe.ids import is_valid_id
from gwe.models import Identity
from gwe.serializers import (
    ErrorSerializer,
    EventFilterSerializer,
    EventSerializer,
    VisitSerializer,
    VisitSummarySerializer,
)

IDENTITY_ID_MAX: int = Identity._meta.get_field("id").max_length  # type: ignore[assignment]


class CanViewVisits(BasePermission):
    message = "this account may not read visitor history (it needs the gwe.view_visit permission)"

    def has_permission(self, request, view):
        return request.user.has_perm("gwe.view_visit")


def _errors(not_found: str) -> dict:
    return {
        400: OpenApiResponse(ErrorSerializer, description="an id or a filter is malformed"),
        401: OpenApiResponse(ErrorSerializer, description="no credentials, or wrong ones"),
        403: OpenApiResponse(ErrorSerializer, description="the account lacks gwe.view_visit"),
        404: OpenApiResponse(ErrorSerializer, description=not_found),
    }


def _path_id(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, str, OpenApiParameter.PATH, description=description)


def _well_formed(value: str, name: str) -> None:
    if not is_valid_id(value):
        raise ValidationError({name: [f"not a well-formed {name}"]})


class HistoryView(APIView):
    permission_classes = [IsAuthenticated, CanViewVisits]


class VisitView(HistoryView):
    @extend_schema(
        operation_id="visit",
        summary="A visit with its pages and events",
        tags=["history"],
        parameters=[_path_id("visitID", "the visit, as the tracker's getIDs gives it")],
        responses={200: VisitSerializer, **_errors("no such visit")},
    )
    def get(self, request: Request, visitID: str) -> Response:
        _well_formed(visitID, "visitID")
        visit = selectors.visit_get(visit_id=visitID)
        if visit is None:
            raise NotFound("unknown visit")
        return Response(VisitSerializer(visit, context={"now": timezone.now()}).data)


class VisitEventsView(HistoryView):
    @extend_schema(
        operation_id="visit_events",
        summary="A visit's events, oldest first, optionally filtered",
        description="Every filter given narrows the list; unknown parameters are ignored.",
        tags=["history"],
        parameters=[_path_id("visitID", "the visit"), EventFilterSerializer],
        responses={200: EventSerializer(many=True), **_errors("no such visit")},
    )
    def get(self, request: Request, visitID: str) -> Response:
        _well_formed(visitID, "visitID")
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
        parameters=[_path_id("pageID", "the page view, as the tracker's getIDs gives it")],
        responses={200: EventSerializer(many=True), **_errors("no such page")},
    )
    def get(self, request: Request, pageID: str) -> Response:
        _well_formed(pageID, "pageID")
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
        parameters=[_path_id("identityID", "the identity the site named in SignIn or UserInfo")],
        responses={200: VisitSummarySerializer(many=True), **_errors("no such identity")},
    )
    def get(self, request: Request, identityID: str) -> Response:
        if not 0 < len(identityID) <= IDENTITY_ID_MAX:
            raise ValidationError(
                {"identityID": [f"an identity ID has 1 to {IDENTITY_ID_MAX} characters"]}
            )
        visits = selectors.identity_visits(identity_id=identityID)
        if visits is None:
            raise NotFound("unknown identity")
        context = {"now": timezone.now()}
        return Response(VisitSummarySerializer(visits, many=True, context=context).data)
