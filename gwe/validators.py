"""Checks of what business users type, shared by the tracker's definitions and the rules."""

import re

from django.core.exceptions import ValidationError

# An event's name, wherever one enters: the tracker's messages, the History API's filter,
# the admin's definitions and rules.
EVENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]{0,127}$")


def validate_event_name(value: str) -> None:
    """An event name as the tracker protocol takes it."""
    if not EVENT_NAME.fullmatch(value):
        raise ValidationError(
            "Start with a letter; use letters, digits and _ . : - (at most 128 characters)."
        )


def validate_regex(value: str) -> None:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValidationError(f"Not a valid regular expression: {exc}") from exc
