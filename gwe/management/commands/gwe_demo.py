"""`make run` calls this: the demo's business events, and an admin to log in with, who is
also an agent of the built-in chat."""

import contextlib
import secrets
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from gwe.models import BusinessEventDefinition, CapturedValue
from invitations.models import EngagementRule, InvitationTemplate

DEMO_DEFINITIONS: list[dict[str, Any]] = [
    {
        "name": "AddToCart",
        "trigger": BusinessEventDefinition.Trigger.CLICK,
        "selector": "button.add-to-cart",
        "description": "A product added to the cart (demo shop).",
        "values": [
            {"name": "sku", "source": CapturedValue.Source.ATTRIBUTE, "attribute": "data-sku"},
            {"name": "product", "source": CapturedValue.Source.TEXT, "selector": "h1"},
        ],
    },
    {
        "name": "PricingDwell",
        "trigger": BusinessEventDefinition.Trigger.TIMER,
        "delay_seconds": 8,
        "url_pattern": "/demo/pricing",
        "max_per_page": 1,
        "description": "Eight seconds on the pricing page (demo shop): the demo rule invites.",
        "values": [],
    },
]

DEMO_RULE = {
    "name": "Demo: chat on the pricing page",
    "event_name": "PricingDwell",
    "description": "Invites a visitor who has spent a few seconds on the demo's pricing page.",
}


def manage_py() -> str:
    """How to run manage.py from here, as the user would type it: .venv/bin/python manage.py."""
    python = Path(sys.executable)
    with contextlib.suppress(ValueError):
        python = python.relative_to(Path.cwd())
    return f"{python} manage.py"


class Command(BaseCommand):
    help = "Load the demo's business events and engagement rule, and make sure an admin exists."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="where GWE is served")
        parser.add_argument("--username", default="admin")

    def handle(self, *args, url: str, username: str, **options):
        with transaction.atomic():
            for definition in DEMO_DEFINITIONS:
                self.define(**definition)
            EngagementRule.objects.get_or_create(
                name=DEMO_RULE["name"],
                defaults={**DEMO_RULE, "template": InvitationTemplate.objects.get(slug="invite")},
            )
            password = self.ensure_admin(username)
            # The admin answers the demo's chats in the agent console.
            agents, _ = Group.objects.get_or_create(name="agents")
            get_user_model().objects.get(username=username).groups.add(agents)
        url = url.rstrip("/")
        python = manage_py()
        self.stdout.write(self.style.SUCCESS("GWE is ready."))
        self.stdout.write(f"  Demo shop:   {url}/demo/")
        self.stdout.write(f"  Admin:       {url}/admin/  (user {username}, {password})")
        self.stdout.write(f"  Agents:      {url}/agent/  (user {username})")
        self.stdout.write(f"  REST API:    {url}/server/api/docs/")
        self.stdout.write(f"  API account: {python} gwe_api_account crm --can all")
        self.stdout.write(
            self.style.WARNING(
                "Rules invite only while an agent is Available: open the agent console and "
                "click Available,"
            )
        )
        self.stdout.write(
            self.style.WARNING(
                f"then, in another browser, stay 8 s on {url}/demo/pricing/ to be invited."
            )
        )

    def define(self, *, name: str, values: list[dict], **fields) -> None:
        definition, _ = BusinessEventDefinition.objects.update_or_create(name=name, defaults=fields)
        for value in values:
            CapturedValue.objects.update_or_create(
                definition=definition, name=value["name"], defaults=value
            )

    def ensure_admin(self, username: str) -> str:
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            return f"password unchanged; reset it with: {manage_py()} changepassword {username}"
        # A well-known password only on a development server; otherwise a random one, shown once.
        password = "admin" if settings.DEBUG else secrets.token_urlsafe(12)
        User.objects.create_superuser(username, "", password)
        return f"password {password}"
