"""Fuzzing the tracker's protocol (SPEC §9): whatever a page sends, the server answers with a
reply or a refusal (ProtocolError, a 4xx), never with another exception (a 500, a socket
closed with 1011). Hypothesis makes the messages: JSON text of any shape, and messages shaped
like the protocol's with any values in their fields."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gwe import tracker
from gwe.protocol import ProtocolError, decode
from gwe.tokens import page_token, visit_token
from tests.support.factories import start_page

pytestmark = pytest.mark.django_db

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
KINDS = ["page", "event", "received", "ping", "subscribe", "nonsense", None, 7]
FIELDS = [
    "url",
    "title",
    "referrer",
    "languageCode",
    "visitID",
    "visitToken",
    "globalVisitID",
    "pageID",
    "token",
    "timestamp",
    "poll",
    "id",
    "eventName",
    "eventType",
    "data",
    "ids",
]


def refusal_of(work, *args, **kwargs) -> int | None:
    """The status of the ProtocolError `work` raised (None: it answered); anything else raised
    is the failure."""
    try:
        work(*args, **kwargs)
    except ProtocolError as exc:
        return exc.status
    return None


def shaped(token_for):
    """A message of the protocol's shape, its fields any value (or a valid token)."""
    return st.builds(
        lambda kind, fields, real_token: {
            "type": kind,
            **fields,
            **({"token": token_for} if real_token else {}),
        },
        st.sampled_from(KINDS),
        st.dictionaries(st.sampled_from(FIELDS), values, max_size=6),
        st.booleans(),
    )


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.text(max_size=200) | st.binary(max_size=200) | values.map(json.dumps))
def test_any_text_decodes_or_is_refused(raw):
    status = refusal_of(decode, raw, max_bytes=16 * 1024)

    assert status is None or 400 <= status < 500


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_message_is_answered_or_refused_never_raised(data):
    started = start_page("https://shop.example/fuzz")
    token = page_token(visit_id=started.visit.pk, page_id=started.page.pk)
    message = data.draw(shaped(token) | values)
    if isinstance(message, dict) and message.get("visitID") == "real":
        message["visitID"], message["visitToken"] = started.visit.pk, visit_token(started.visit.pk)
    answered = []
    status = refusal_of(
        lambda: answered.append(
            tracker.handle(message, user_agent="fuzz", pages={}, live=True, client="fuzz")
        )
    )

    assert status is None or 400 <= status < 500
    assert status is not None or "type" in answered[0]
