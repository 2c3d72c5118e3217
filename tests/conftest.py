import inspect
import shutil

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from gwe import limits
from gwe.selectors import forget_definitions
from invitations.config import forget_configuration
from invitations.memory import memories
from media_adapters import memory
from tests.support.servers import CustomerSite, RedisServer, fresh_database, gwe_server
from tests.support.services import missing, require_chromium


@pytest.fixture(autouse=True)
def empty_adapter_outbox():
    memory.outbox.clear()


@pytest.fixture(autouse=True)
def configuration_read_afresh():
    """Each test reads the rules its database holds, not the ones a test before it left in
    the process's copy (kept up to a second: invitations/config.py)."""
    forget_configuration()
    memories.forget()
    forget_definitions()
    limits.reset()  # and no client's count of visits, requests or wrong passwords


@pytest.fixture
def gwe_live(tmp_path):
    """A real GWE server (daphne) on a fresh database, for browser and multi-process tests."""
    with fresh_database(tmp_path) as database, gwe_server(tmp_path, database).start() as server:
        yield server


@pytest.fixture
def customer_site():
    site = CustomerSite()
    yield site
    site.close()


@pytest.fixture(scope="module")
def chromium_browser():
    """Chromium driven by Playwright's sync API, for one module: Playwright keeps an event
    loop running in the main thread while it is started, which the Django tests that follow
    must not inherit."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
async def _async_connections_closed(request):
    """Async ORM calls run in asgiref's worker thread, whose connection would outlive the
    test (and keep PostgreSQL from dropping the test database)."""
    yield
    if "django_db_setup" in request.fixturenames:
        await sync_to_async(connections.close_all)()


def pytest_collection_modifyitems(items):
    # Only async tests: an event loop around the sync browser tests would break Playwright.
    for item in items:
        if inspect.iscoroutinefunction(getattr(item, "function", None)):
            item.fixturenames.insert(0, "_async_connections_closed")


@pytest.fixture
def redis_server(tmp_path):
    """A real Redis of the test's own, which the test may stop and start again."""
    if not shutil.which("redis-server"):
        missing("redis-server is not installed (apt-get install redis-server)")
    with RedisServer(tmp_path).start() as server:
        yield server


@pytest.fixture
def two_processes(tmp_path, redis_server):
    """Two server processes sharing a database and a real Redis, as in production: one
    under a bare daphne (`daphne gwe.asgi:application`), one under `gwe_serve --server
    uvicorn` (both are supported, and may be mixed)."""
    with fresh_database(tmp_path) as database:
        first = gwe_server(tmp_path, database, REDIS_URL=redis_server.url)
        first.bare = True
        second = gwe_server(tmp_path, database, REDIS_URL=redis_server.url)
        second.kind = "uvicorn"
        second.log_path = tmp_path / "second.log"
        with first.start(), second.start():
            yield first, second
