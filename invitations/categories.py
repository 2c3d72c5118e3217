"""Categories: which of the admin's named sets of tags a page's URL or title falls in."""

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass

Matcher = Callable[[str], bool]


@dataclass(frozen=True)
class CompiledCategory:
    name: str
    tags: list[tuple[str, Matcher]]  # (field: "url" | "title", matcher)

    def matches(self, *, url: str, title: str) -> bool:
        return any(matcher(url if field == "url" else title) for field, matcher in self.tags)


def matcher(kind: str, pattern: str) -> Matcher:
    if kind == "regex":
        return re.compile(pattern, re.IGNORECASE).search  # type: ignore[return-value]
    if kind == "wildcard":
        return re.compile(fnmatch.translate(pattern), re.IGNORECASE).match  # type: ignore[return-value]
    needle = pattern.lower()
    return lambda text: needle in text.lower()


def compile_categories(categories) -> list[CompiledCategory]:
    """From Category rows with their tags prefetched."""
    return [
        CompiledCategory(c.name, [(t.field, matcher(t.match, t.pattern)) for t in c.tags.all()])
        for c in categories
    ]


def categories_of(compiled: list[CompiledCategory], *, url: str, title: str) -> list[str]:
    return [c.name for c in compiled if c.matches(url=url, title=title)]
