import pytest
from django.contrib.auth.models import Permission, User

from invitations.config import forget_configuration


@pytest.fixture(autouse=True)
def fresh_configuration():
    """Each test sees the rules, templates and policy it made, not an earlier test's."""
    forget_configuration()
    yield
    forget_configuration()


@pytest.fixture
def staff_client(client):
    """The admin as a business user sees it: staff, not a superuser, logged in with only the
    permissions named (codenames)."""

    def logged_in(*codenames: str):
        user = User.objects.create_user("marketing", password="marketing-pass", is_staff=True)
        user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
        client.force_login(user)
        return client

    return logged_in
