import base64

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


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
    client = APIClient()
    credentials = base64.b64encode(b"contact-center:s3cret-pass").decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {credentials}")
    return client


@pytest.fixture
def token_api(notifier):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=notifier).key}")
    return client
