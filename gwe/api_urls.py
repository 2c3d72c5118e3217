"""The History API, and export and erasure, under /server/data/ (SPEC §3, §9)."""

from django.urls import path

from gwe import api, privacy_api

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
    # Export and erasure (SPEC §9); DELETE visits/<visitID> is the visit view's.
    path(
        "identities/<path:identityID>/export",
        privacy_api.IdentityExportView.as_view(),
        name="privacy-identity-export",
    ),
    path(
        "identities/<path:identityID>",
        privacy_api.IdentityEraseView.as_view(),
        name="privacy-identity-erase",
    ),
]
