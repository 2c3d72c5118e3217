"""What a media adapter is: something that can say whether someone is there to answer, and
start an engagement when a visitor accepts an invitation."""


class MediaAdapter:
    def __init__(self, *, alias: str, options: dict) -> None:
        self.alias = alias
        self.options = options

    def is_available(self) -> bool:
        """Whether someone can answer now; invitations are not offered otherwise."""
        return True
