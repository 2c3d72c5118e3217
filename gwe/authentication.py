"""Passwords: throttled when wrong too often, and, for HTTP Basic, not paid for on every request.

Wrong passwords (the admin's and the console's logins, the REST API's Basic credentials)
are counted per client and user name (gwe/limits.py): past GWE_LOGIN_FAILURES in
GWE_LOGIN_LOCKOUT_SECONDS the next attempt is refused before any password is hashed (Basic:
429 with Retry-After; a login form says when to try again).

Contact-center systems call the REST API with the same Basic credentials many times a
second; checking a PBKDF2 hash costs tens of milliseconds each time. A successful check is
remembered for a while, keyed by an HMAC of the credentials (never the password itself),
and only while the user's stored password hash is the one it was checked against and the user
is active (read with every request, in one small statement). The user itself, with the
permissions it caches, is kept for USER_SECONDS: a changed permission takes effect within that.
"""

import hashlib
import hmac
import threading
import time
from collections import OrderedDict

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BasicAuthentication
from rest_framework.exceptions import Throttled

from gwe import sql
from gwe.limits import limits, request_client

REMEMBER_SECONDS = 300
REMEMBER_MAX = 1024
USER_SECONDS = 2.0


class _Remembered:
    def __init__(self) -> None:
        self.entries: OrderedDict[bytes, tuple[int, str, float]] = OrderedDict()
        self.users: dict[bytes, tuple[object, float]] = {}  # the user as last read, until
        self.lock = threading.Lock()

    def user(self, key: bytes):
        with self.lock:
            user, until = self.users.get(key, (None, 0.0))
        return user if until > time.monotonic() else None

    def keep_user(self, key: bytes, user) -> None:
        with self.lock:
            self.users[key] = (user, time.monotonic() + USER_SECONDS)
            while len(self.users) > REMEMBER_MAX:
                self.users.pop(next(iter(self.users)))

    def get(self, key: bytes) -> tuple[int, str] | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or entry[2] < time.monotonic():
                self.entries.pop(key, None)
                return None
            return entry[0], entry[1]

    def put(self, key: bytes, user_id: int, password_hash: str) -> None:
        with self.lock:
            self.entries[key] = (user_id, password_hash, time.monotonic() + REMEMBER_SECONDS)
            self.entries.move_to_end(key)
            while len(self.entries) > REMEMBER_MAX:
                self.entries.popitem(last=False)


_remembered = _Remembered()


class ThrottledModelBackend(ModelBackend):
    """Django's own, but a client that has failed too often for a user name is refused
    without a password hash; every failure and success is counted."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        client, name = request_client(request), str(username or "")
        if limits().login_locked(client, name):
            raise PermissionDenied("too many failed passwords")  # no other backend tries
        user = super().authenticate(request, username, password, **kwargs)
        if user is None:
            limits().login_failed(client, name)
        else:
            limits().login_succeeded(client, name)
        return user


def lockout_said(request, username: str) -> None:
    """A login form's error when the client is locked out for this user name."""
    if wait := limits().login_locked(request_client(request), username):
        minutes = max(1, round(wait / 60))
        raise forms.ValidationError(
            f"Too many failed attempts. Try again in {minutes} minute{'s' if minutes > 1 else ''}.",
            code="locked_out",
        )


class LoginForm(AuthenticationForm):
    """The console's login, saying when the client is locked out."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That user name and password do not match. Please try again.",
    }

    def clean(self):
        lockout_said(self.request, self.cleaned_data.get("username") or "")
        return super().clean()


class AdminLoginForm(AdminAuthenticationForm):
    def clean(self):
        lockout_said(self.request, self.cleaned_data.get("username") or "")
        return super().clean()


class RememberingBasicAuthentication(BasicAuthentication):
    def authenticate_credentials(self, userid, password, request=None):
        if wait := limits().login_locked(request_client(request), str(userid)):
            raise Throttled(wait, detail="too many failed passwords for this user from here")
        key = hmac.new(
            settings.SECRET_KEY.encode(), f"{userid}\0{password}".encode(), hashlib.sha256
        ).digest()
        if (remembered := _remembered.get(key)) is not None:
            user_id, password_hash = remembered
            if _still(user_id, password_hash):
                if (user := _remembered.user(key)) is None:
                    user = get_user_model().objects.filter(pk=user_id).first()
                    _remembered.keep_user(key, user)
                if user is not None:
                    return user, None
        user, auth = super().authenticate_credentials(userid, password, request)
        _remembered.put(key, user.pk, user.password)
        _remembered.keep_user(key, user)
        return user, auth


def _still(user_id: int, password_hash: str) -> bool:
    """Whether the user is active with the password hash the credentials were checked against."""
    model = get_user_model()
    table = sql.quoted(model._meta.db_table)
    row = sql.one(f"SELECT password, is_active FROM {table} WHERE id = %s", [user_id])
    return row is not None and bool(row[1]) and row[0] == password_hash


class RememberingBasicScheme(OpenApiAuthenticationExtension):
    """drf-spectacular documents BasicAuthentication, but not subclasses of it."""

    target_class = "gwe.authentication.RememberingBasicAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "basic"}
