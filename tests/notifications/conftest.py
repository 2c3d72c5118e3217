import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.authtoken.models import Token

from notifications import bus
from tests.support.asgi import AsgiClient


@pytest.fixture
def redis_bus(settings, redis_server):
    """This process's bus on a real Redis of the test's own, which it may stop and start."""
    settings.REDIS_URL = redis_server.url
    bus.reset_bus()
    yield redis_server
    bus.reset_bus()


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
