"""The topics of the bus: what a follower follows, and what a push is for. Each names one
stream of numbered items, replayed from the database (notifications/follower.py)."""


def visit_topic(visit_id: str) -> str:
    """A visit's notifications: every page of the visit follows it."""
    return f"visit:{visit_id}"
