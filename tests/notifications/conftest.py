import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.authtoken.models import Token

from tests.support.asgi import AsgiClient


@pytest.fixture
def notifier(db):
    """A contact-center system's account: may send notifications and read their status."""
    user = User.objects.create_user("contact-center", password="s3cret-pass")
    user.user_permissions.add(
        Permission.objects.get(codename="add_notification"),
        Permission.objects.get(codename="view_notification"),
    )
    return user


@pytest.fixture
def api(notifier):
    return AsgiClient.basic("contact-center", "s3cret-pass")


@pytest.fixture
def token_api(notifier):
    return AsgiClient(authorization=f"Token {Token.objects.create(user=notifier).key}")
