"""What an API account may do: one Django permission per REST permission class."""

from rest_framework.permissions import BasePermission


def needs(permission: str, *, to: str) -> type[BasePermission]:
    """A REST permission: the account has `permission` ("app.codename"), or is refused with
    403 saying what it may not do and what it lacks."""

    class Needs(BasePermission):
        message = f"this account may not {to} (it needs the {permission} permission)"

        def has_permission(self, request, view):
            return request.user.has_perm(permission)

    Needs.__name__ = Needs.__qualname__ = f"Needs_{permission.replace('.', '_')}"
    return Needs
