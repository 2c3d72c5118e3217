"""The REST API's path parameters: each declared once with its pattern, so that the schema says
what is well-formed, and checked where it enters with one message shape (400
`{"error": "invalid input", "fields": {NAME: [PROBLEM]}}`)."""

import re
from dataclasses import dataclass
from functools import cached_property

from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

from gwe.ids import ID_PATTERN


@dataclass(frozen=True)
class PathParameter:
    name: str
    description: str
    pattern: str
    problem: str  # what a value that does not match is told

    @property
    def schema(self) -> OpenApiParameter:
        """For a DRF view's extend_schema."""
        return OpenApiParameter(
            self.name,
            str,
            OpenApiParameter.PATH,
            description=self.description,
            pattern=self.pattern,
        )

    @property
    def openapi(self) -> dict:
        """For an operation written out by hand (gwe/schema.py)."""
        return {
            "in": "path",
            "name": self.name,
            "required": True,
            "description": self.description,
            "schema": {"type": "string", "pattern": self.pattern},
        }

    @cached_property
    def _regex(self) -> re.Pattern:
        return re.compile(self.pattern)

    def well_formed(self, value: str) -> bool:
        return self._regex.fullmatch(value) is not None

    def checked(self, value: str) -> str:
        if not self.well_formed(value):
            raise ValidationError(self.refusal)
        return value

    @property
    def refusal(self) -> dict:
        return {self.name: [self.problem]}


def gwe_id(name: str, description: str) -> PathParameter:
    """A visit, page, notification, invitation or chat id (gwe/ids.py)."""
    return PathParameter(name, description, ID_PATTERN, f"not a well-formed {name}")


VISIT_ID = gwe_id("visitID", "the visit, as the tracker's getIDs gives it")
PAGE_ID = gwe_id("pageID", "the page view, as the tracker's getIDs gives it")
