import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from gwe.env import env_bool, env_int, env_origins, env_str, load_env_file

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("yes", True), ("off", False)])
def test_booleans_read_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("GWE_FLAG", raw)

    assert env_bool("GWE_FLAG") is expected


def test_a_misspelt_boolean_stops_the_server(monkeypatch):
    monkeypatch.setenv("GWE_FLAG", "ture")

    with pytest.raises(ImproperlyConfigured, match="GWE_FLAG='ture' is not a boolean"):
        env_bool("GWE_FLAG")


def test_a_number_below_its_minimum_is_refused(monkeypatch):
    monkeypatch.setenv("GWE_N", "0")

    with pytest.raises(ImproperlyConfigured, match="below the minimum"):
        env_int("GWE_N", 5, minimum=1)


def test_a_secret_can_come_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t\n")
    monkeypatch.setenv("GWE_SECRET_KEY_FILE", str(secret))

    assert env_str("GWE_SECRET_KEY") == "s3cr3t"


def test_origins_are_comma_separated_and_checked(monkeypatch):
    monkeypatch.setenv("GWE_ALLOWED_ORIGINS", " https://Shop.example , http://localhost:3000/ ")
    assert env_origins("GWE_ALLOWED_ORIGINS") == ["https://shop.example", "http://localhost:3000"]

    monkeypatch.setenv("GWE_ALLOWED_ORIGINS", "shop.example")
    with pytest.raises(ImproperlyConfigured, match="scheme://host"):
        env_origins("GWE_ALLOWED_ORIGINS")


def manage(*args, **env):
    """manage.py as production runs it: no development .env unless the test names one."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GWE_", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "GWE_ENV_FILE": "", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_pass_the_deployment_checks():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        GWE_SECRET_KEY="a-long-random-production-secret-" + "x" * 40,
        GWE_ALLOWED_HOSTS="gwe.example.com",
        GWE_ALLOWED_ORIGINS="https://shop.example.com",
    )

    assert result.returncode == 0, result.stderr + result.stdout


def test_production_without_a_secret_key_refuses_to_start():
    result = manage("check", GWE_ALLOWED_HOSTS="gwe.example.com")

    assert result.returncode != 0
    assert "GWE_SECRET_KEY is required" in result.stderr


def test_an_env_file_fills_in_what_the_environment_does_not_set(monkeypatch, tmp_path):
    monkeypatch.setenv("GWE_TIME_ZONE", "Europe/Paris")
    monkeypatch.delenv("GWE_SOMETHING", raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text('# comment\n\nGWE_TIME_ZONE=UTC\nexport GWE_SOMETHING="a b"\n')

    load_env_file(env_file)

    assert os.environ["GWE_TIME_ZONE"] == "Europe/Paris"  # the environment wins
    assert os.environ["GWE_SOMETHING"] == "a b"


def test_a_line_that_is_not_an_assignment_names_the_file_and_line(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("GWE_DEBUG=1\nthis is not it\n")

    with pytest.raises(ImproperlyConfigured, match=r"\.env, line 2: write it as NAME=VALUE"):
        load_env_file(env_file)


def test_manage_py_finds_the_development_settings_make_run_wrote(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("GWE_DEBUG=1\nGWE_SECRET_KEY=a-development-secret-of-this-checkout\n")

    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEBUG)",
        GWE_ENV_FILE=str(env_file),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "True"


def test_an_env_file_named_but_missing_stops_the_server(tmp_path):
    result = manage("check", GWE_ENV_FILE=str(tmp_path / "nowhere.env"))

    assert result.returncode != 0
    assert "does not exist" in result.stderr
