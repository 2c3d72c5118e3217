"""Strict readers for configuration that comes from the environment.

A typo in a boolean or a list must stop the server at start-up, not silently
turn a feature off.
"""

import ipaddress
import json
import os
import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    """The variable's value, or the contents of the file named by NAME_FILE."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_name!r} cannot be read: {exc}") from exc
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no)")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum of {minimum}")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    """A comma-separated list; blanks around items are ignored."""
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_networks(name: str) -> list[str]:
    """Addresses or networks (`10.0.0.0/8`), each checked."""
    networks = env_list(name)
    for entry in networks:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {entry!r} is not an address or network") from None
    return networks


def env_origins(name: str) -> list[str]:
    """Origins as `scheme://host[:port]`, validated and without a trailing slash."""
    origins = []
    for origin in env_list(name):
        if origin == "*":
            origins.append(origin)
            continue
        scheme, sep, rest = origin.partition("://")
        if not sep or scheme not in ("http", "https") or not rest or "/" in rest.rstrip("/"):
            raise ImproperlyConfigured(
                f"{name}: {origin!r} is not an origin; write it as scheme://host[:port]"
            )
        origins.append(origin.rstrip("/").lower())
    return origins


def env_json_object(name: str) -> dict:
    """A JSON object (or the contents of the file named by NAME_FILE); {} when unset."""
    raw = env_str(name).strip()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ImproperlyConfigured(f"{name} must be a JSON object")
    return value


SMTP = "django.core.mail.backends.smtp.EmailBackend"
FILE = "django.core.mail.backends.filebased.EmailBackend"


def mailer(backend: str, *, file_path: str, **smtp: object) -> dict:
    """MAILERS' entry for a backend: each takes only its own options."""
    if backend in (SMTP, "smtp"):
        return {"BACKEND": SMTP, "OPTIONS": {**smtp, "timeout": 10}}
    if backend in (FILE, "file"):
        if not file_path:
            raise ImproperlyConfigured("GWE_EMAIL_FILE_PATH is needed by the file email backend")
        return {"BACKEND": FILE, "OPTIONS": {"file_path": file_path}}
    return {"BACKEND": backend}


_ASSIGNMENT = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")


def load_env_file(path: Path, *, required: bool = False) -> None:
    """Variables from a file of NAME=VALUE lines (# starts a comment), for those the
    environment does not set: the environment always wins. A missing file is no error
    unless it was asked for by name."""
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        if required:
            raise ImproperlyConfigured(f"GWE_ENV_FILE={str(path)!r} does not exist") from None
        return
    except OSError as exc:
        raise ImproperlyConfigured(f"{path} cannot be read: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _ASSIGNMENT.match(line)
        if match is None:
            raise ImproperlyConfigured(f"{path}, line {number}: write it as NAME=VALUE")
        name, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        os.environ.setdefault(name, value)
