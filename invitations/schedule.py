"""Business hours: is someone there to answer at a given moment?"""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

MIDNIGHT = time(0, 0)


@dataclass(frozen=True)
class WeeklySchedule:
    time_zone: str
    hours: list[tuple[int, time, time]]  # (weekday 0 = Monday, opens, closes)
    holidays: frozenset[date] = field(default_factory=frozenset)

    def is_open(self, at: datetime) -> bool:
        """`at` is an aware datetime; the schedule is read in its own time zone."""
        local = at.astimezone(ZoneInfo(self.time_zone))
        if local.date() in self.holidays:
            return False
        now = local.time().replace(tzinfo=None)
        return any(
            weekday == local.weekday() and opens <= now and (closes == MIDNIGHT or now < closes)
            for weekday, opens, closes in self.hours
        )

    @classmethod
    def of(cls, business_hours) -> "WeeklySchedule":
        return cls(
            time_zone=business_hours.time_zone,
            hours=[(h.weekday, h.opens, h.closes) for h in business_hours.hours.all()],
            holidays=frozenset(h.date for h in business_hours.holidays.all()),
        )
