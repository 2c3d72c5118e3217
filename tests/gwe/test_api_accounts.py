"""API accounts for the systems that call GWE: exactly the capabilities they were given."""

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from gwe.api_accounts import api_account_ensure

pytestmark = pytest.mark.django_db


def test_an_account_gets_a_token_and_only_the_permissions_of_its_capabilities():
    account = api_account_ensure(username="crm", capabilities=["history", "notify"])

    user = account.user
    assert account.created
    assert Token.objects.get(user=user).key == account.token
    assert user.has_perm("gwe.view_visit")
    assert user.has_perm("notifications.add_notification")
    assert not user.has_perm("invitations.view_invitation")
    assert not user.has_perm("invitations.add_invitation")
    assert not user.has_usable_password()  # a token only, until a password is asked for
    assert not user.is_staff


def test_asking_again_sets_exactly_the_capabilities_named_and_keeps_the_token():
    first = api_account_ensure(username="crm", capabilities=["history", "notify"])

    again = api_account_ensure(username="crm", capabilities=["reports"])

    user = type(first.user).objects.get(pk=first.user.pk)
    assert not again.created
    assert again.token == first.token
    assert user.has_perm("invitations.view_invitation")
    assert not user.has_perm("gwe.view_visit")
    assert not user.has_perm("notifications.add_notification")


def test_a_new_token_and_a_password_on_request():
    first = api_account_ensure(username="crm", capabilities=["history"])

    again = api_account_ensure(
        username="crm", capabilities=["history"], new_token=True, new_password=True
    )

    assert again.token != first.token
    assert not Token.objects.filter(key=first.token).exists()
    assert again.password
    assert again.user.check_password(again.password)


def test_the_command_prints_the_token_and_refuses_an_unknown_capability(capsys):
    call_command("gwe_api_account", "bi", "--can", "all")

    printed = capsys.readouterr().out
    assert f"Token: {Token.objects.get(user__username='bi').key}" in printed
    for name in ("history", "notify", "engage", "reports"):
        assert f"  {name}" in printed
    with pytest.raises(CommandError, match="unknown capability report; choose from"):
        call_command("gwe_api_account", "bi", "--can", "report")
