"""An adapter that keeps what it is asked in memory: for tests and for trying rules out."""

from media_adapters.base import MediaAdapter


class InMemoryAdapter(MediaAdapter):
    """OPTIONS: {"available": bool} (default true)."""

    def is_available(self) -> bool:
        return bool(self.options.get("available", True))
