from django.urls import path

from invitations import api, pacing_api, views

urlpatterns = [
    path("gateway/engage", api.EngageView.as_view(), name="engage"),
    path("gateway/noengage", api.NoEngageView.as_view(), name="noengage"),
    path("reports/invitations", api.InvitationReportView.as_view(), name="invitation-report"),
    path("pacing/<str:channel>", pacing_api.PacingView.as_view(), name="pacing"),
    path(
        "pacing/<str:channel>/reactiveState",
        pacing_api.ReactiveStateView.as_view(),
        name="pacing-reactive-state",
    ),
    path(
        "invitations/<str:invitation_id>/<str:step>",
        views.invitation_step,
        name="invitation-step",
    ),
]
