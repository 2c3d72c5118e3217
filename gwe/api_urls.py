"""The History API, under /server/data/ (SPEC §3)."""

from django.urls import path

from gwe import api

urlpatterns = [
    path("visits/<str:visitID>", api.VisitView.as_view(), name="history-visit"),
    path("visits/<str:visitID>/events", api.VisitEventsView.as_view(), name="history-visit-events"),
    path("pages/<str:pageID>/events", api.PageEventsView.as_view(), name="history-page-events"),
    # An identity is whatever the site names (an e-mail, a customer number): it may hold "/".
    path(
        "identities/<path:identityID>/visits",
        api.IdentityVisitsView.as_view(),
        name="history-identity-visits",
    ),
]
