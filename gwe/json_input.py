"""JSON from outside (a page, a contact center, an agent's console): decoded, or refused with
a reason, never with an exception nobody expects. Python's json takes two things JSON allows
that nothing here can keep: a lone UTF-16 surrogate (`"\\ud800"`) decodes to a str that has no
UTF-8 form, so it cannot be stored or sent on; and brackets nested a few thousand deep exhaust
the stack (RecursionError). Both are refused here, before anything is stored."""

import json
import re
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 64  # GWE's own messages nest 4 deep; a page's event data a few more
# The only way JSON text carries a surrogate is an escape (UTF-8 has none): look further only
# when one is there. Pairs (an emoji) decode to one character and pass.
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")


class MalformedJSON(ValueError):
    pass


def loads(raw: str | bytes) -> Any:
    """The value `raw` holds; MalformedJSON saying what is wrong with it otherwise."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise MalformedJSON(f"JSON nested more than {MAX_DEPTH} deep") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedJSON(f"malformed JSON: {exc}") from None
    if isinstance(raw, bytes):
        openers = raw.count(b"[") + raw.count(b"{")
        escaped = _SURROGATE_BYTES.search(raw) is not None
    else:
        openers = raw.count("[") + raw.count("{")
        escaped = _SURROGATE.search(raw) is not None
    if openers > MAX_DEPTH:
        _depth_checked(value)
    if escaped:
        _text_checked(value)
    return value


def _depth_checked(value: Any) -> None:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise MalformedJSON(f"JSON nested more than {MAX_DEPTH} deep")
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def _text_checked(value: Any) -> None:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                raise MalformedJSON(
                    "text holds a lone UTF-16 surrogate (\\ud800 to \\udfff alone): not Unicode"
                ) from None


class CheckedJSONParser(JSONParser):
    """DRF's JSON parser, refusing what `loads` refuses (DRF's own lets RecursionError out)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return loads(stream.read() if stream is not None else b"")
        except MalformedJSON as exc:
            raise ParseError(str(exc)) from None
