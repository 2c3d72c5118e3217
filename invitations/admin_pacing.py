"""A channel's last hour in the admin: free slots, offers pending and offers allowed, a point
a minute (from the samples invitations/pacing_state.py takes), as an inline SVG (no script)."""

from datetime import datetime, timedelta

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from invitations.admin_report import tick_step

WIDTH, HEIGHT = 600, 150  # the plot
LEFT, BOTTOM, TOP = 40, 22, 8
SERIES = [
    ("free", "free slots", "light-dark(#2f7d4f, #5cbf7e)"),
    ("pending", "offers pending", "light-dark(#b5651d, #e0a060)"),
    ("allowed", "may offer", "light-dark(#5b86c0, #6a90c2)"),
]


def last_hour_chart(samples: list, now: datetime) -> SafeString:
    if not samples:
        return mark_safe("<p>No figures yet: each server process records them once a minute.</p>")
    start = now - timedelta(hours=1)
    peak = max((getattr(s, name) or 0 for s in samples for name, _, _ in SERIES), default=0)
    step = tick_step(peak)
    top = max(-(-peak // step), 1) * step

    def x(at: datetime) -> float:
        return round(WIDTH * (at - start).total_seconds() / 3600, 1)

    def y(value: float) -> float:
        return round(HEIGHT * (1 - value / top), 1)

    lines = format_html_join(
        "",
        '<polyline fill="none" stroke="{}" stroke-width="2" points="{}"><title>{}</title>'
        "</polyline>",
        (
            (
                colour,
                " ".join(
                    f"{x(s.at)},{y(getattr(s, name))}"
                    for s in samples
                    if getattr(s, name) is not None
                ),
                label,
            )
            for name, label, colour in SERIES
        ),
    )
    ticks = format_html_join(
        "",
        '<line x1="0" x2="{}" y1="{}" y2="{}" stroke="var(--hairline-color)"/>'
        '<text x="-6" y="{}" text-anchor="end" dominant-baseline="middle">{}</text>',
        ((WIDTH, y(v), y(v), y(v), v) for v in range(0, top + 1, step)),
    )
    legend = format_html_join(
        " ",
        '<span style="display:inline-block;width:12px;height:3px;margin:0 4px 3px 8px;'
        'background:{}"></span>{}',
        ((colour, label) for _, label, colour in SERIES),
    )
    return format_html(
        '<p class="pacing-legend">{}</p>'
        '<svg role="img" aria-label="The last hour: free slots, offers pending, may offer" '
        'width="{}" height="{}" viewBox="0 0 {} {}" style="max-width:100%;height:auto;'
        'color:var(--body-quiet-color);font-size:11px">'
        '<g transform="translate({} {})" fill="currentColor">{}{}'
        '<text x="0" y="{}" text-anchor="start">an hour ago</text>'
        '<text x="{}" y="{}" text-anchor="end">now</text></g></svg>',
        legend,
        LEFT + WIDTH + 10,
        TOP + HEIGHT + BOTTOM,
        LEFT + WIDTH + 10,
        TOP + HEIGHT + BOTTOM,
        LEFT,
        TOP,
        ticks,
        lines,
        HEIGHT + 16,
        WIDTH,
        HEIGHT + 16,
    )
