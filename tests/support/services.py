"""Tests that need a real service skip without it, or fail when GWE_REQUIRE_SERVICES=1 (CI)."""

import os
import shutil
import socket
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"


def services_required() -> bool:
    return os.environ.get("GWE_REQUIRE_SERVICES", "") == "1"


def missing(reason: str) -> None:
    if services_required():
        pytest.fail(f"{reason} (GWE_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def require_chromium() -> str:
    if not shutil.which(CHROMIUM):
        missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    return CHROMIUM


def require_tcp(url: str, what: str) -> None:
    parts = urlsplit(url)
    try:
        socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or 0), timeout=2
        ).close()
    except OSError as exc:
        missing(f"{what} is not reachable at {parts.hostname}:{parts.port}: {exc}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
