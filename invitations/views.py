import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render as render_page
from django.template import TemplateSyntaxError
from django.utils.html import format_html
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from gwe.ids import is_valid_id
from invitations import rendering, services
from invitations.models import Invitation, InvitationTemplate

ACCEPTED_TEXT = "Thank you: we are connecting you."
CONNECTING_TEXT = "Connecting…"
OFFLINE_TEXT = "We could not reach our service. Please check your connection and try again."
MAX_STEP_BYTES = 16 * 1024


def invitation_page(request: HttpRequest, slug: str) -> HttpResponse | None:
    """The invitation a template's slug names, as the page's iframe loads it; None when
    there is no such template (the resource may be a file)."""
    template = InvitationTemplate.objects.filter(slug=slug, enabled=True).first()
    if template is None:
        return None
    invitation_id = request.GET.get("invitation", "")
    invitation = None
    if is_valid_id(invitation_id):
        invitation = (
            Invitation.objects.select_related("visit__identity").filter(pk=invitation_id).first()
        )
    visitor = (
        invitation.visit.identity.attributes
        if invitation is not None and invitation.visit.identity
        else {}
    )
    language = request.GET.get("lang", "")[:16]
    mobile = request.GET.get("mobile") == "1" or "Mobi" in request.headers.get("User-Agent", "")
    token = request.GET.get("token", "")[:200]
    return invitation_response(
        request,
        template,
        language=language,
        mobile=mobile,
        visitor=visitor,
        invitation=invitation,
        token=token,
    )


def invitation_response(
    request: HttpRequest,
    template: InvitationTemplate,
    *,
    language: str = "",
    mobile: bool = False,
    visitor: dict | None = None,
    invitation: Invitation | None = None,
    token: str = "",
) -> HttpResponse:
    """The template as the visitor sees it; without an invitation, a preview that reports
    nothing to the server."""
    try:
        rendered = rendering.render(template, language=language, mobile=mobile, visitor=visitor)
    except TemplateSyntaxError as exc:
        # Shown in the admin's live preview too: the message quotes the HTML, as text.
        return HttpResponse(
            format_html("<p>This invitation's HTML is not valid: {}</p>", str(exc)), status=500
        )
    runtime = {
        "invitation": invitation.pk if invitation else None,
        "token": token if invitation else None,
        "steps": f"/server/data/invitations/{invitation.pk}/" if invitation else None,
        "timeoutSeconds": template.timeout_seconds,
        "acceptedText": ACCEPTED_TEXT,
        "connectingText": CONNECTING_TEXT,
        "offlineText": OFFLINE_TEXT,
    }
    return render_page(
        request,
        "resources/invitation.html",
        {"rendered": rendered, "runtime": runtime, "language": language},
    )


@csrf_exempt  # called from the invitation's iframe; the signed token is the credential
@require_POST
def invitation_step(request: HttpRequest, invitation_id: str, step: str) -> JsonResponse:
    """The page reports a step of the invitation: shown, accepted, rejected or timedout."""
    if len(request.body) > MAX_STEP_BYTES:
        return JsonResponse({"error": "request body is too large"}, status=413)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError as exc:
        return JsonResponse({"error": f"malformed JSON: {exc}"}, status=400)
    if not isinstance(body, dict):
        return JsonResponse({"error": "send a JSON object"}, status=400)
    fields = body.get("fields")
    if fields is not None and not (
        isinstance(fields, dict) and all(isinstance(v, str) for v in fields.values())
    ):
        return JsonResponse({"error": "fields must map names to text"}, status=400)
    try:
        invitation = services.invitation_step(
            invitation_id=invitation_id,
            token=str(body.get("token") or ""),
            step=step,
            fields=fields,
        )
    except services.StepRefused as refused:
        return JsonResponse({"error": refused.message}, status=refused.status)
    reply: dict[str, object] = {"invitationID": invitation.pk, "state": invitation.state}
    if step == "accepted":
        reply["engagement"] = services.invitation_engage(invitation=invitation)
    return JsonResponse(reply)
