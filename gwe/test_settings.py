"""Settings for the test suite: the real settings with fast hashing."""

import os

os.environ.setdefault("GWE_DEBUG", "1")

from gwe.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
