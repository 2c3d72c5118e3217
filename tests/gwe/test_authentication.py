import time

import pytest
from django.contrib.auth.models import User

from tests.support.asgi import AsgiClient
from tests.support.factories import start_page

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

basic = AsgiClient.basic


def notify(client, visit_id):
    return client.post(f"/server/data/notification/notify/{visit_id}", [{"channel": "x"}])


@pytest.fixture
def system_user():
    return User.objects.create_superuser("crm", "", "first-password")


def test_remembered_credentials_skip_the_password_hash(system_user, monkeypatch):
    visit = start_page().visit
    assert notify(basic("crm", "first-password"), visit.pk).status_code == 202
    monkeypatch.setattr(User, "check_password", lambda *a: pytest.fail("hash checked again"))

    assert notify(basic("crm", "first-password"), visit.pk).status_code == 202


def test_a_changed_password_ends_the_remembered_credentials(system_user):
    visit = start_page().visit
    assert notify(basic("crm", "first-password"), visit.pk).status_code == 202

    system_user.set_password("second-password")
    system_user.save()

    assert notify(basic("crm", "first-password"), visit.pk).status_code == 401
    assert notify(basic("crm", "second-password"), visit.pk).status_code == 202


def test_a_wrong_password_is_never_remembered(system_user):
    visit = start_page().visit

    assert notify(basic("crm", "wrong"), visit.pk).status_code == 401
    assert notify(basic("crm", "wrong"), visit.pk).status_code == 401


def test_a_deactivated_user_is_refused_at_once(system_user):
    visit = start_page().visit
    assert notify(basic("crm", "first-password"), visit.pk).status_code == 202

    User.objects.filter(pk=system_user.pk).update(is_active=False)

    assert notify(basic("crm", "first-password"), visit.pk).status_code == 401


def test_a_permission_taken_away_applies_once_the_remembered_user_is_read_again(monkeypatch):
    from django.contrib.auth.models import Permission

    from gwe import authentication

    monkeypatch.setattr(authentication, "USER_SECONDS", 0.3)
    crm = User.objects.create_user("crm-limited", "", "first-password")
    crm.user_permissions.add(Permission.objects.get(codename="add_notification"))
    visit = start_page().visit
    for _ in range(2):  # the password checked, then the user remembered
        assert notify(basic("crm-limited", "first-password"), visit.pk).status_code == 202

    crm.user_permissions.clear()
    at_once = notify(basic("crm-limited", "first-password"), visit.pk).status_code
    time.sleep(0.4)
    later = notify(basic("crm-limited", "first-password"), visit.pk).status_code

    assert (at_once, later) == (202, 403)  # kept for USER_SECONDS, no longer
