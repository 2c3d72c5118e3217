"""The REST API against its own schema: a bounded schemathesis run over every operation, as a
superuser and as an account given no permission (tests/gwe/schemathesis.toml). No 5xx, no
traceback in the server's log, no status or shape the schema does not document, no valid
request refused, no invalid one taken, and no 2xx where 403 is due
(tests/gwe/schemathesis_checks.py). About a minute per account.

Not marked `server`: it is about the API's contract, not the database (it runs once)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gwe.schemathesis_checks import UNPRIVILEGED
from tests.support.servers import (
    AS_IN_PRODUCTION,
    ROOT,
    SOCKET_ORIGIN,
    fresh_database,
    gwe_server,
)

CONFIG = Path(__file__).with_name("schemathesis.toml")
ACCOUNTS = """
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
root = User.objects.create_superuser("fuzz-root", "", "fuzz-root-pass-1")
nobody = User.objects.create_user("fuzz-nobody", "", "fuzz-nobody-pass-1")
print(Token.objects.create(user=root).key, Token.objects.create(user=nobody).key)
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """GWE as production serves it, with what a fuzzer needs: no limits per client (every
    case comes from one address), no lockout for wrong passwords (tried on purpose), and
    a long poll of a second (a case waits for its answer)."""
    tmp_path = tmp_path_factory.mktemp("fuzz")
    with (
        fresh_database(tmp_path) as database,
        gwe_server(
            tmp_path,
            database,
            **AS_IN_PRODUCTION,
            GWE_LONG_POLL_SECONDS="1",
            GWE_LOGIN_FAILURES="0",
        ) as server,
    ):
        server.kind = "uvicorn"
        root, nobody = server.manage("shell", "--verbosity", "0", "-c", ACCOUNTS).split()
        server.start()
        yield server, {"superuser": root, "no permission": nobody}


@pytest.mark.parametrize("account", ["superuser", "no permission"])
def test_the_api_keeps_to_its_schema(served, account):
    server, tokens = served
    run = subprocess.run(
        [
            str(Path(sys.executable).with_name("st")),
            "--config-file",
            str(CONFIG),
            "--no-color",
            "run",
            f"{server.url}/server/api/schema/?format=json",
            "--url",
            server.url,
            "--checks",
            "all",
            "--header",
            f"Authorization: Token {tokens[account]}",
            "--header",
            f"Origin: {SOCKET_ORIGIN}",
        ],
        cwd=ROOT,
        env={**os.environ, UNPRIVILEGED: "1" if account == "no permission" else "0"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    log = server.log_path.read_text(errors="replace")  # all of it: log() is its last lines
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-2000:]
    assert "Traceback" not in log, log[log.index("Traceback") :][:4000]
