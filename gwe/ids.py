"""Unguessable identifiers for visits, pages, events and invitations.

16 random bytes, URL-safe base64 without padding: 22 characters, 128 bits.
"""

import re
import secrets

ID_LENGTH = 22
ID_PATTERN = r"^[A-Za-z0-9_-]{22}$"
_ID = re.compile(ID_PATTERN)


def new_id() -> str:
    return secrets.token_urlsafe(16)


def is_valid_id(value: object) -> bool:
    # The whole value: `$` alone would also let a last newline through.
    return isinstance(value, str) and _ID.fullmatch(value) is not None
