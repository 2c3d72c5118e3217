"""Garbage collection for a process that holds thousands of open sockets.

CPython's full collection walks every tracked object. With 5,000 connected pages that takes
about 400 ms on a small machine, during which no message moves; and under load it runs
every few seconds, because each request leaves objects that outlive the young generations.
So after each full collection the survivors (by then mostly the long-lived connections,
consumers and modules) are frozen with gc.freeze(), and the next full collections walk only
what is newer: a few milliseconds. Every GWE_GC_FULL_SECONDS they are thawed, so that one
full collection also reclaims cycles among them (closed connections): one long pause that
often, instead of one every few seconds.
"""

import gc
import time


class Collector:
    def __init__(self, *, full_every: float) -> None:
        self.full_every = full_every
        self.thaw_at = time.monotonic() + full_every

    def install(self) -> None:
        if self.after_collection not in gc.callbacks:
            gc.callbacks.append(self.after_collection)

    def uninstall(self) -> None:
        if self.after_collection in gc.callbacks:
            gc.callbacks.remove(self.after_collection)
        gc.unfreeze()

    def after_collection(self, phase: str, info: dict) -> None:
        if phase != "stop" or info["generation"] != 2:
            return
        now = time.monotonic()
        if now >= self.thaw_at:
            gc.unfreeze()  # the next full collection walks everything
            self.thaw_at = now + self.full_every
        else:
            gc.freeze()


_installed: Collector | None = None


def install(full_every: float) -> None:
    """Tune this process's collector (once; 0 leaves CPython's defaults alone)."""
    global _installed
    if full_every > 0 and _installed is None:
        _installed = Collector(full_every=full_every)
        _installed.install()
