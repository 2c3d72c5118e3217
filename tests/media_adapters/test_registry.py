"""GWE_MEDIA_ADAPTERS is read like Django's own backends: a wrong entry stops GWE at start-up
with a message naming it."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from media_adapters.base import AdapterError
from media_adapters.checks import media_adapters_configured
from media_adapters.memory import InMemoryAdapter
from media_adapters.registry import adapter, adapter_available, adapters

MEMORY = "media_adapters.memory.InMemoryAdapter"


def test_each_alias_gets_its_backend_with_its_options(settings):
    settings.GWE_MEDIA_ADAPTERS = {"desk": {"BACKEND": MEMORY, "OPTIONS": {"available": False}}}

    built = adapter("desk")

    assert isinstance(built, InMemoryAdapter)
    assert (built.alias, built.options["available"]) == ("desk", False)
    assert adapter_available("desk") is False


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"OPTIONS": {}}, "must be"),
        ({"BACKEND": "media_adapters.nowhere.Adapter"}, "nowhere"),
        ({"BACKEND": "django.http.HttpResponse"}, "is not a MediaAdapter"),
        ({"BACKEND": MEMORY, "OPTIONS": {"colour": "red"}}, "unknown option"),
        ({"BACKEND": MEMORY, "OPTIONS": {"open": "sideways"}}, "popup or embed"),
    ],
)
def test_a_wrong_entry_is_named_in_the_error(settings, entry, message):
    settings.GWE_MEDIA_ADAPTERS = {"desk": entry}

    with pytest.raises(ImproperlyConfigured, match=message) as raised:
        adapters()

    assert "desk" in str(raised.value)


def test_the_system_check_reports_a_wrong_entry(settings):
    settings.GWE_MEDIA_ADAPTERS = {"desk": {"BACKEND": MEMORY, "OPTIONS": {"colour": "red"}}}

    [error] = media_adapters_configured(None)

    assert error.id == "media_adapters.E001"
    assert "colour" in error.msg


def test_an_alias_that_is_not_configured_has_nobody_and_cannot_start(settings):
    settings.GWE_MEDIA_ADAPTERS = {}

    assert adapter_available("gms") is False
    with pytest.raises(AdapterError) as raised:
        adapter("gms")
    assert raised.value.permanent is True


def test_an_adapter_that_cannot_say_counts_as_nobody(settings):
    settings.GWE_MEDIA_ADAPTERS = {"desk": {"BACKEND": MEMORY}}

    assert adapter_available("desk", {"colour": "red"}) is False
