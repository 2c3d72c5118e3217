import gc
import weakref

import pytest

from gwe.collector import Collector


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def collector():
    gc.collect()
    collector = Collector(full_every=3600)
    collector.install()
    yield collector
    collector.uninstall()


def test_what_survives_a_full_collection_is_frozen(collector):
    gc.collect()

    assert gc.get_freeze_count() > 0


def test_young_collections_freeze_nothing(collector):
    gc.unfreeze()

    gc.collect(0)

    assert gc.get_freeze_count() == 0


def test_cycles_among_frozen_objects_are_reclaimed_once_thawed(collector):
    first, second = Node(), Node()
    first.other, second.other = second, first
    alive = weakref.ref(first)
    gc.collect()  # the cycle survives (still referenced) and is frozen
    del first, second

    gc.collect()
    kept_while_frozen = alive() is not None
    collector.thaw_at = 0  # time for a complete collection
    gc.collect()  # thaws
    gc.collect()  # walks everything

    assert kept_while_frozen
    assert alive() is None
    assert collector.thaw_at > 0
