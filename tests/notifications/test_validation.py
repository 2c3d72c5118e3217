"""The notify endpoint's fast checks answer exactly what the documented serializer answers,
for any message: the same verdict, the same words per field, the same message stored."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notifications.serializers import NotifyItemSerializer
from notifications.validation import Invalid, notify_messages

ORIGIN = "http://gwe.example"
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 100_000),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-5, max_value=90_000),
    st.sampled_from(
        ["", " ", "5", " 7 ", "7.0", "2.5", "-1", "abc", "x" * 129, "\ud800x", "a\x00"]
    ),
    st.sampled_from(
        [
            "AAAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAAA!",
            "AAAAAAAAAAAAAAAAAAAAAA\n",  # `$` matches before a last newline
            " AAAAAAAAAAAAAAAAAAAAAA ",
        ]
    ),
    st.text(max_size=12),
)
channels = st.one_of(
    scalars,
    st.sampled_from(["gpe.appendContent", "offers", "a b", "chat:1/x-y_z", " offers "]),
)
urls = st.sampled_from(
    ["/server/resources/invite.html", "http://gwe.example/x", "https://evil.example/x", "", 5]
)
datas = st.one_of(
    scalars,
    st.lists(scalars, max_size=2),
    st.fixed_dictionaries(
        {},
        optional={
            "url": urls,
            "method": st.sampled_from(["GET", "POST", "PUT"]),
            "container": st.one_of(st.just("#x"), st.integers()),
            "n": scalars,
        },
    ),
)
items = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "page": scalars,
            "channel": channels,
            "data": datas,
            "ttl": scalars,
            "x": scalars,
        },
    ),
    scalars,
    st.lists(scalars, max_size=1),
)


def by_serializer(item) -> tuple[bool, object]:
    serializer = NotifyItemSerializer(data=[item], many=True, context={"origin": ORIGIN})
    if not serializer.is_valid():
        return False, json.loads(json.dumps(serializer.errors))
    [valid] = serializer.validated_data
    return True, (valid["channel"], valid["data"], valid.get("page"), valid.get("ttl"))


def by_validation(item) -> tuple[bool, object]:
    try:
        [message] = notify_messages([item], origin=ORIGIN)
    except Invalid as invalid:
        return False, invalid.errors
    return True, (message.channel, message.data, message.page_id, message.ttl_seconds)


@settings(max_examples=1500, deadline=None)
@given(items)
def test_the_fast_checks_agree_with_the_serializer(item):
    assert by_validation(item) == by_serializer(item)


@pytest.mark.parametrize(
    "item",
    [
        {"channel": "offers", "data": {"n": 1}, "ttl": "30", "page": None},
        {"channel": "gpe.appendContent", "data": {"url": "https://evil.example/x"}},
        {"data": {}},
        [],
    ],
)
def test_known_messages_get_the_serializers_answer(item):
    assert by_validation(item) == by_serializer(item)
