"""Real servers for end-to-end tests and benchmarks: GWE under daphne, and a customer's site.

The GWE server runs in its own process on its own database (a fresh SQLite file, or a fresh
PostgreSQL database when DATABASE_URL points at PostgreSQL, copied from one migrated once),
exactly as `daphne` serves it.
"""

import atexit
import functools
import http.server
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from tests.support.services import free_port

# What a script's sockets name as their Origin (GWE refuses a socket without one): GWE's own
# host, which every test server allows.
SOCKET_ORIGIN = "http://127.0.0.1"
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Database:
    """A test's own database; `with` drops it on the way out (a SQLite file goes with the
    test's directory)."""

    url: str
    drop: Callable[[], None] | None = None
    migrated: bool = False  # a copy of a migrated one: no `migrate` needed

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *_: object) -> None:
        if self.drop:
            self.drop()


def fresh_database(tmp_dir: Path) -> Database:
    """A database like the one the tests run on (a SQLite file, or a PostgreSQL database when
    DATABASE_URL points at PostgreSQL), already migrated: a copy of one this process migrated
    once (migrating takes seconds; a copy, milliseconds)."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        path = tmp_dir / "gwe.sqlite3"
        shutil.copyfile(_sqlite_template(), path)
        return Database(url=f"sqlite:///{path}", migrated=True)
    import psycopg

    name = f"gwe_e2e_{secrets.token_hex(4)}"
    parts = urlsplit(base)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    template = _postgres_template(base)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return Database(url=urlunsplit(parts._replace(path=f"/{name}")), drop=drop, migrated=True)


@functools.cache
def _sqlite_template() -> Path:
    path = Path(tempfile.mkdtemp(prefix="gwe-template-")) / "gwe.sqlite3"
    _migrate(f"sqlite:///{path}")
    atexit.register(shutil.rmtree, path.parent, ignore_errors=True)
    return path


@functools.cache
def _postgres_template(base: str) -> str:
    import psycopg

    name = f"gwe_e2e_template_{os.getpid()}"
    parts = urlsplit(base)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(drop)
    _migrate(urlunsplit(parts._replace(path=f"/{name}")))
    return name


def _migrate(url: str) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gwe.settings",
        "GWE_DEBUG": "1",
        "DATABASE_URL": url,
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


@dataclass
class GweServer:
    """A daphne (or uvicorn) process serving gwe.asgi:application on 127.0.0.1; `with` stops
    it on the way out."""

    env: dict
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    log_path: Path | None = None
    cpu: int | None = None  # pin the server to one core (benchmarks)
    kind: str = "daphne"  # or "uvicorn": both are supported in production
    bare: bool = False  # `daphne gwe.asgi:application` rather than `manage.py gwe_serve`

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout

    def start(self, timeout: float = 30) -> "GweServer":
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        pin = ["taskset", "-c", str(self.cpu)] if self.cpu is not None else []
        self.process = subprocess.Popen(
            [*pin, sys.executable, *self.command()],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.kind} exited with {self.process.returncode}: {self.log()}"
                )
            try:
                httpx.get(f"{self.url}/server/resources/js/build/GPE.min.js", timeout=1)
                return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.kind} did not answer within {timeout} s: {self.log()}")

    def command(self) -> list[str]:
        """As production runs it: `manage.py gwe_serve` (gwe/serving), or the bare server."""
        address = ["127.0.0.1", str(self.port)]
        if self.bare and self.kind == "uvicorn":
            return [
                "-m",
                "uvicorn",
                "--host",
                address[0],
                "--port",
                address[1],
                "--lifespan",
                "on",
                "--log-level",
                "warning",
                "--no-access-log",
                "gwe.asgi:application",
            ]
        if self.bare:
            return ["-m", "daphne", "-b", address[0], "-p", address[1], "gwe.asgi:application"]
        # uvicorn's access log is off in the tests, as it was when they ran it bare.
        quiet = ["--verbosity", "0"] if self.kind == "uvicorn" else []
        return [
            "manage.py",
            "gwe_serve",
            "--server",
            self.kind,
            "--host",
            address[0],
            "--port",
            address[1],
            *quiet,
        ]

    def __enter__(self) -> "GweServer":
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def create_api_user(self, username: str = "api", password: str = "api-pass-1") -> tuple:
        """A user with every permission, for REST calls with HTTP Basic auth."""
        self.manage(
            "shell",
            "-c",
            "from django.contrib.auth.models import User; "
            f"User.objects.filter(username={username!r}).exists() or "
            f"User.objects.create_superuser({username!r}, '', {password!r})",
        )
        return username, password

    def log(self) -> str:
        if self.log_path and self.log_path.exists():
            return self.log_path.read_text(errors="replace")[-4000:]
        return "(no log)"


def gwe_server(tmp_dir: Path, database: Database, **env: str) -> GweServer:
    """A migrated GWE server, not yet started. `env` adds or overrides settings."""
    server_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gwe.settings",
        "GWE_DEBUG": "1",
        "GWE_SECRET_KEY": "e2e-" + secrets.token_hex(16),
        "DATABASE_URL": database.url,
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    server = GweServer(env=server_env, log_path=tmp_dir / "daphne.log")
    if not database.migrated:
        server.manage("migrate", "--noinput")
    return server


# A benchmark's load comes from one address, far past what one client may do (gwe/limits.py).
UNLIMITED = {
    "GWE_LIMIT_VISITS_PER_MINUTE": "0",
    "GWE_LIMIT_MESSAGES_PER_SECOND": "0",
    "GWE_LIMIT_HTTP_PER_SECOND": "0",
}
# GWE as production runs it (no debug; the collector as GWE sets it), on 127.0.0.1 with no TLS
# in front, and every client from one address.
AS_IN_PRODUCTION = {
    "GWE_DEBUG": "0",
    "GWE_SECURE": "0",
    "GWE_ALLOWED_HOSTS": "127.0.0.1",
    **UNLIMITED,
}


def benchmark_server(
    tmp_dir: Path, database: Database, *, kind: str = "daphne", **env: str
) -> GweServer:
    """A started GWE server as production runs it (no debug, collected static files),
    pinned to core 0 so that the load generator has the other."""
    server = gwe_server(
        tmp_dir, database, **{**AS_IN_PRODUCTION, "GWE_LOG_LEVEL": "WARNING", **env}
    )
    server.cpu = 0
    server.kind = kind
    server.manage("collectstatic", "--noinput", "--verbosity", "0")
    return server.start()


class CustomerSite:
    """A customer's web site on its own origin (http://localhost:PORT): pages are added by
    tests and served as they would be by any web server."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        self.port = free_port()
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = site.pages.get(self.path.split("?")[0].split("#")[0])
                if body is None:
                    self.send_error(404)
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.port}"

    def add(self, path: str, html: str) -> str:
        self.pages[path] = html
        return f"{self.origin}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def embed_snippet(gwe_url: str, *, extra: str = "") -> str:
    """The snippet of the README, as a customer pastes it into their pages."""
    return f"""<script>
  var _gt = window._gt = window._gt || [];
  _gt.push(['config', {{httpEndpoint: '{gwe_url}'}}]);
  {extra}
  (function (d) {{ var s = d.createElement('script'); s.async = true; s.id = '_gt';
    s.src = '{gwe_url}/server/resources/js/build/GPE.min.js'; d.head.appendChild(s); }})(document);
</script>"""


class RedisServer:
    """A private redis-server on its own port, so a test may stop and restart it; `with` stops
    it on the way out."""

    def __init__(self, tmp_dir: Path) -> None:
        self.port = free_port()
        self.dir = tmp_dir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def __enter__(self) -> "RedisServer":
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
