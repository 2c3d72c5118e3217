"""Accounts for the systems that call GWE's REST API (a CRM, a contact center, a BI tool):
a user with a token and the capabilities it was given, nothing more."""

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Permission
from django.db import transaction
from rest_framework.authtoken.models import Token


@dataclass(frozen=True)
class Capability:
    says: str
    permissions: tuple[str, ...]  # app_label.codename


CAPABILITIES: dict[str, Capability] = {
    "history": Capability(
        "read visits, pages and events (History API)",
        ("gwe.view_visit",),
    ),
    "notify": Capability(
        "push notifications into live pages, and read their status",
        ("notifications.add_notification", "notifications.view_notification"),
    ),
    "engage": Capability(
        "offer and withdraw invitations (engage, noengage)",
        ("invitations.add_invitation", "invitations.change_invitation"),
    ),
    "reports": Capability(
        "read the invitation report",
        ("invitations.view_invitation",),
    ),
    "privacy": Capability(
        "export and erase a visitor's data (identities, visits)",
        ("gwe.view_visit", "gwe.delete_visit"),
    ),
    "pacing": Capability(
        "read each channel's pacing (Pacing API)",
        ("invitations.view_channelpacing",),
    ),
}


class UnknownCapability(ValueError):
    pass


@dataclass(frozen=True)
class ApiAccount:
    user: AbstractUser
    token: str
    capabilities: list[str]
    created: bool
    password: str | None  # only when a new one was set


def capabilities_parse(text: str) -> list[str]:
    """`history,notify` or `all`, in the order of CAPABILITIES; UnknownCapability otherwise."""
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    if names == ["all"]:
        return list(CAPABILITIES)
    unknown = sorted(set(names) - set(CAPABILITIES))
    if unknown or not names:
        raise UnknownCapability(
            f"unknown capability {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(CAPABILITIES)}, or all"
        )
    return [name for name in CAPABILITIES if name in names]


@transaction.atomic
def api_account_ensure(
    *,
    username: str,
    capabilities: list[str],
    new_token: bool = False,
    new_password: bool = False,
) -> ApiAccount:
    """The account with exactly these capabilities (others it had are taken away; other
    permissions are left alone) and its token, made if it has none or when asked."""
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username)
    password = None
    if created or new_password:
        if new_password:
            password = secrets.token_urlsafe(18)
            user.set_password(password)
        else:
            user.set_unusable_password()  # token only, until a password is asked for
        user.save()
    wanted = {p for name in capabilities for p in CAPABILITIES[name].permissions}
    every = {p for capability in CAPABILITIES.values() for p in capability.permissions}
    user.user_permissions.remove(*_permissions(every - wanted))
    user.user_permissions.add(*_permissions(wanted))
    if new_token:
        Token.objects.filter(user=user).delete()
    token, _ = Token.objects.get_or_create(user=user)
    return ApiAccount(user, token.key, capabilities, created, password)


def _permissions(names: set[str]) -> list[Permission]:
    found = []
    for name in sorted(names):
        app_label, codename = name.split(".")
        found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return found
