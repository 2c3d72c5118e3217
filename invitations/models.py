"""What business users edit: the business events the tracker watches for."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

EVENT_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_.:-]{0,127}$"


def validate_event_name(value: str) -> None:
    if not re.match(EVENT_NAME_PATTERN, value):
        raise ValidationError(
            "Start with a letter; use letters, digits and _ . : - (at most 128 characters)."
        )


def validate_regex(value: str) -> None:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValidationError(f"Not a valid regular expression: {exc}") from exc


class BusinessEventDefinition(models.Model):
    """A business event the tracker raises by itself: a DOM event on matching elements,
    or a timer, on pages whose URL matches (GWE's DSL)."""

    class Trigger(models.TextChoices):
        CLICK = "click", "Click on an element"
        SUBMIT = "submit", "Form submitted"
        CHANGE = "change", "Field changed"
        MOUSEOVER = "mouseover", "Mouse over an element"
        TIMER = "timer", "Time spent on the page"

    name = models.CharField(
        max_length=128,
        unique=True,
        validators=[validate_event_name],
        help_text="The event name as it appears in the history, e.g. AddToCart.",
    )
    enabled = models.BooleanField(default=True)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.CLICK)
    selector = models.CharField(
        "CSS selector",
        max_length=512,
        blank=True,
        help_text="Which elements to watch, e.g. button.add-to-cart. Not used by timers.",
    )
    delay_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="For a timer: seconds on the page before the event fires.",
    )
    url_pattern = models.CharField(
        "only on URLs matching",
        max_length=512,
        blank=True,
        validators=[validate_regex],
        help_text="Optional regular expression the page URL must match, e.g. /products/.",
    )
    max_per_page = models.PositiveIntegerField(
        default=0, help_text="How many times it may fire on one page; 0 means no limit."
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.trigger == self.Trigger.TIMER:
            if not self.delay_seconds:
                raise ValidationError({"delay_seconds": "A timer needs a delay in seconds."})
        elif not self.selector:
            raise ValidationError({"selector": "Say which elements to watch."})

    @property
    def action(self) -> str:
        """The trigger as the tracker reads it: a DOM event name or `timer:MS`."""
        if self.trigger == self.Trigger.TIMER:
            return f"timer:{(self.delay_seconds or 0) * 1000}"
        return self.trigger


class CapturedValue(models.Model):
    """A value the tracker reads from the page into the event's data."""

    class Source(models.TextChoices):
        TEXT = "text", "Text of the element"
        VALUE = "value", "Value of a form field"
        ATTRIBUTE = "attribute", "An attribute of the element"
        URL = "url", "Page URL"
        TITLE = "title", "Page title"

    definition = models.ForeignKey(
        BusinessEventDefinition, on_delete=models.CASCADE, related_name="values"
    )
    name = models.CharField(max_length=64, help_text="Key in the event's data, e.g. sku.")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.TEXT)
    selector = models.CharField(
        "CSS selector",
        max_length=512,
        blank=True,
        help_text="Where to read it; blank means the element that triggered the event.",
    )
    attribute = models.CharField(
        max_length=64, blank=True, help_text="For 'attribute': its name, e.g. data-sku."
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "name"], name="value_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.source == self.Source.ATTRIBUTE and not self.attribute:
            raise ValidationError({"attribute": "Name the attribute to read."})
