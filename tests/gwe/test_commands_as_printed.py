"""A new user's first hour: every command that `make run` prints, and the API-account
commands of the README and docs/api.md, run exactly as written in a fresh checkout, with no
variable set by hand; the account they make can then notify and read the invitation report.

Not marked `server`: it is about the out-of-the-box set-up (SQLite, no DATABASE_URL), so the
PostgreSQL pass of CI has nothing to add to it."""

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.support.servers import ROOT
from tests.support.services import free_port

# `.venv/bin/python manage.py NAME ARGS`, up to what is not part of a command: "(", a quote.
COMMAND = re.compile(r"\.venv/bin/python manage\.py [\w\-, ]+")
BANNER_DONE = "GWE is ready."
SERVING = "Listening on TCP address"


@pytest.fixture
def checkout(tmp_path) -> Path:
    """The project as a fresh clone has it (what git tracks, and new files not ignored),
    sharing this checkout's virtual environment."""
    if not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to know which files a fresh clone has")
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    fresh = tmp_path / "gwe"
    for name in filter(None, files):
        source = ROOT / name.decode()
        if source.is_file():
            (fresh / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, fresh / name.decode())
    (fresh / ".venv").symlink_to(ROOT / ".venv")
    return fresh


def user_env() -> dict[str, str]:
    """A new user's shell: none of GWE's variables set."""
    ours = ("GWE_", "DJANGO_", "DATABASE_URL", "REDIS_URL", "GMS_")
    return {k: v for k, v in os.environ.items() if not k.startswith(ours)}


class MakeRun:
    def __init__(self, checkout: Path) -> None:
        self.checkout, self.port = checkout, free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "MakeRun":
        # -o: the shared virtual environment is installed already; not remade for this copy.
        self.process = subprocess.Popen(
            ["make", "-o", ".venv/.installed", "run", f"PORT={self.port}"],
            cwd=self.checkout,
            env=user_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output = self.read_until(SERVING)
        return self

    def read_until(self, marker: str, timeout: float = 120) -> str:
        assert self.process.stdout is not None
        lines, deadline = [], time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line and self.process.poll() is not None:
                break
            lines.append(line)
            if marker in line:
                return "".join(lines)
        self.process.kill()
        raise AssertionError(f"make run never printed {marker!r}:\n{''.join(lines)}")

    @property
    def banner(self) -> str:
        return self.output[self.output.index(BANNER_DONE) :]

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def run_as_printed(checkout: Path, command: str, stdin: str = "") -> str:
    """The command in the user's shell, in the checkout; stdin answers its prompts (a new
    session has no terminal, so getpass reads them there)."""
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=checkout,
        env=user_env(),
        input=stdin,
        capture_output=True,
        text=True,
        start_new_session=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def docs_commands(path: Path, name: str) -> list[str]:
    """The lines of the document's sh blocks that run the named management command."""
    blocks = re.findall(r"```sh\n(.*?)```", path.read_text(), flags=re.S)
    return [
        line.strip()
        for block in blocks
        for line in block.splitlines()
        if line.startswith(".venv/bin/python manage.py") and f" {name} " in f"{line} "
    ]


def token_of(output: str) -> str:
    match = re.search(r"^Token: ([0-9a-f]{40})$", output, flags=re.M)
    assert match, f"no token in:\n{output}"
    return match.group(1)


def a_visit(url: str) -> str:
    """A visit as a page starts one, over the tracker's HTTP endpoint."""
    page = {"type": "page", "url": f"{url}/demo/", "title": "Demo", "timestamp": 0}
    reply = httpx.post(f"{url}/server/data/tracker", json=page, timeout=10)
    assert reply.status_code == 200, reply.text
    return reply.json()["replies"][0]["visitID"]


def test_the_commands_make_run_prints_run_as_printed(checkout):
    with MakeRun(checkout) as first:
        printed = COMMAND.findall(first.banner)
        assert printed, f"the banner prints no command:\n{first.banner}"
        assert "password admin" in first.banner
        for command in printed:
            output = run_as_printed(checkout, command)
        token = token_of(output)
        visit = a_visit(first.url)
        notified = httpx.post(
            f"{first.url}/server/data/notification/notify/{visit}",
            json=[{"channel": "offers", "data": {"text": "hello"}}],
            headers={"Authorization": f"Token {token}"},
            timeout=10,
        )
        assert notified.status_code == 202, notified.text

    with MakeRun(checkout) as second:  # the admin exists now: how to reset its password
        [reset] = [c for c in COMMAND.findall(second.banner) if "changepassword" in c]
        run_as_printed(checkout, reset, stdin="a-new-long-password-7\n" * 2)
        history = httpx.get(
            f"{second.url}/server/data/visits/{visit}",
            auth=("admin", "a-new-long-password-7"),
            timeout=10,
        )
        assert history.status_code == 200, history.text


def test_the_api_account_commands_of_the_docs_run_as_written(checkout):
    commands = [
        command
        for document in ("README.md", "docs/api.md")
        for name in ("gwe_api_account", "drf_create_token")
        for command in docs_commands(checkout / document, name)
    ]
    assert len(commands) >= 2, "README.md and docs/api.md show how to make an API account"

    with MakeRun(checkout) as server:
        outputs = [run_as_printed(checkout, command) for command in commands]
        token = token_of(outputs[0])
        auth = {"Authorization": f"Token {token}"}
        visit = a_visit(server.url)

        notified = httpx.post(
            f"{server.url}/server/data/notification/notify/{visit}",
            json=[{"channel": "offers", "data": {"text": "hello"}}],
            headers=auth,
            timeout=10,
        )
        report = httpx.get(f"{server.url}/server/data/reports/invitations", headers=auth)
        history = httpx.get(f"{server.url}/server/data/visits/{visit}", headers=auth)

    assert notified.status_code == 202, notified.text
    assert report.status_code == 200, report.text
    assert history.status_code == 200, history.text
