from invitations.models import BusinessEventDefinition


def tracker_definitions() -> list[dict]:
    """The enabled business-event definitions, as the tracker reads them."""
    definitions = BusinessEventDefinition.objects.filter(enabled=True).prefetch_related("values")
    return [
        {
            "name": d.name,
            "action": d.action,
            "selector": d.selector,
            "urlPattern": d.url_pattern,
            "maxPerPage": d.max_per_page,
            "values": [
                {
                    "name": v.name,
                    "source": v.source,
                    "selector": v.selector,
                    "attribute": v.attribute,
                }
                for v in d.values.all()
            ],
        }
        for d in definitions
    ]


def timer_event_names() -> set[str]:
    """Names of the timer events, the SYSTEM events a page may report."""
    return set(
        BusinessEventDefinition.objects.filter(
            trigger=BusinessEventDefinition.Trigger.TIMER
        ).values_list("name", flat=True)
    )
