"""Settings for the test suite: the real settings with fast hashing."""

import os

os.environ.setdefault("GWE_DEBUG", "1")
# A developer's .env (written by `make run`) must not change what the tests see; the servers
# the tests start inherit this too.
os.environ.setdefault("GWE_ENV_FILE", "")

from gwe.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Connections opened by consumers' worker threads must close after each call, or the test
# database cannot be dropped at the end of a PostgreSQL run.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Nor may a pool keep them: the test database is created and dropped under it.
DATABASES["default"].get("OPTIONS", {}).pop("pool", None)  # noqa: F405

# The test process keeps CPython's collector as it is (gwe/collector.py has its own tests).
GWE_GC_FULL_SECONDS = 0

# Rules and invitations are tested against in-memory adapters under the shipped aliases;
# each real adapter has its own tests (tests/media_adapters/) against a real far side.
GWE_MEDIA_ADAPTERS = {
    alias: {"BACKEND": "media_adapters.memory.InMemoryAdapter"} for alias in ("gwe-chat", "gms")
}

# No sweep in the test process unless a test asks for one (the servers tests start do sweep).
GWE_SWEEPS = {}
