"""The invitations GWE ships with, and the global engagement policy, editable like any other."""

from django.db import migrations

TEMPLATES = [
    {
        "slug": "invite",
        "name": "Chat invitation",
        "kind": "chat",
        "variant": "gwe-chat",
        "adapter": "gwe-chat",
        "adapter_options": {},
    },
    {
        "slug": "invite-callback",
        "name": "Callback invitation",
        "kind": "callback",
        "variant": "gms-callback",
        "title": "Shall we call you?",
        "text": "Leave your number and an adviser calls you back.",
        "accept_label": "Call me",
        "body_html": """<div class="invitation" role="dialog" aria-labelledby="gwe-title">
  <button class="close" data-gwe-action="close" aria-label="Close">&times;</button>
  <h1 id="gwe-title">{{ title }}</h1>
  <p>{{ text }}</p>
  <form>
    <label>Your name <input name="first_name" autocomplete="given-name" value="{{ visitor.first_name }}"></label>
    <label>Phone number <input name="_customer_number" type="tel" autocomplete="tel" required></label>
  </form>
  <div class="actions">
    <button data-gwe-action="accept">{{ accept_label }}</button>
    <button data-gwe-action="reject">{{ reject_label }}</button>
  </div>
</div>""",
        "adapter": "gms",
        "adapter_options": {"scenario": "VOICE-NOW-USERTERM", "service_name": "samples_new"},
    },
    {
        "slug": "inviteGMS",
        "name": "GMS chat invitation",
        "kind": "chat",
        "variant": "gms-chat",
        "adapter": "gms",
        "adapter_options": {"scenario": "CHAT-NOW", "service_name": "samples_new"},
    },
]


def create(apps, schema_editor):
    InvitationTemplate = apps.get_model("invitations", "InvitationTemplate")
    EngagementPolicy = apps.get_model("invitations", "EngagementPolicy")
    from invitations.models import DEFAULT_BODY, POLICY_DEFAULTS

    for fields in TEMPLATES:
        InvitationTemplate.objects.get_or_create(
            slug=fields["slug"], defaults={"body_html": DEFAULT_BODY, **fields}
        )
    EngagementPolicy.objects.get_or_create(pk=1, defaults=POLICY_DEFAULTS)


class Migration(migrations.Migration):
    dependencies = [("invitations", "0003_engagement")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
