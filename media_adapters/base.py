"""What a media adapter is: something that can say whether someone is there to answer, start
an engagement when a visitor accepts an invitation, and tell the visitor what comes next.

Adding one is a module with a subclass of `MediaAdapter` and an entry in GWE_MEDIA_ADAPTERS
(docs/adapters.md)."""

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.functional import Promise


@dataclass(frozen=True)
class EngagementContext:
    """Everything an adapter is told about the visitor who accepted (SPEC §5)."""

    visit_id: str
    page_id: str
    global_visit_id: str
    identity_id: str | None
    identity: dict[str, Any]  # what the site told about the visitor (name, email, ...)
    invitation_id: str
    template: str
    rule: str | None
    url: str  # the page the visitor accepted on
    title: str
    language: str
    fields: dict[str, str]  # what the visitor filled in the invitation's form
    options: dict[str, Any]  # the template's options for this adapter
    proactive: bool = True  # offered by GWE (a rule or the engage API), not asked for
    agent: str = ""  # the user name of the agent who invited by hand, if one did

    @property
    def attached_data(self) -> dict[str, str]:
        """What a contact center attaches to the interaction: GWE's keys, always present."""
        data = {"visitID": self.visit_id, "pageID": self.page_id}
        if self.proactive:
            data["webengagement"] = ""
        return data

    def as_json(self) -> dict[str, Any]:
        return {
            "visitID": self.visit_id,
            "pageID": self.page_id,
            "globalVisitID": self.global_visit_id,
            "identityID": self.identity_id,
            "identity": self.identity,
            "invitation": {"id": self.invitation_id, "template": self.template, "rule": self.rule},
            "url": self.url,
            "title": self.title,
            "languageCode": self.language,
            "fields": self.fields,
            "attached_data": self.attached_data,
        }


@dataclass(frozen=True)
class Engagement:
    """What the visitor sees once the adapter has started the engagement."""

    class Open:
        POPUP = "popup"  # a new window or tab
        EMBED = "embed"  # in the invitation's place, on the customer's page

    text: str = ""  # a confirmation ("We will call you at 14:00")
    url: str = ""  # to open, as `open` says
    open: str = Open.POPUP
    choices: tuple[str, ...] = ()  # a menu to show with the text
    reference: str = ""  # the adapter's own id for it (a GMS service id, a chat id)
    details: dict[str, Any] = field(default_factory=dict)  # kept with the invitation

    def for_visitor(self) -> dict[str, Any]:
        shown = {k: v for k, v in asdict(self).items() if k not in ("reference", "details")}
        return {**shown, "choices": list(self.choices)}


@dataclass(frozen=True)
class Capacity:
    """How many conversations a channel takes now (pacing, SPEC §8). A slot is one
    conversation at a time: an agent who takes three chats at once is three slots."""

    agents_ready: int
    slots: int
    busy: int  # slots in use
    waiting: int = 0  # visitors who accepted and wait for someone (served first)
    handle_seconds: float | None = None  # a conversation's average length lately
    busy_factor: float | None = None  # the share of the slots in use over the last hour
    # Of the last hour's conversations, the share whose visitor left unanswered (None: the
    # adapter cannot say; pacing then counts the accepts whose engagement failed).
    abandonment: float | None = None

    @property
    def free(self) -> int:
        return max(0, self.slots - self.busy)


class AdapterError(Exception):
    """The engagement could not start. `message` is for the visitor; `detail` is for the
    record. A transient error (nobody free, a timeout) may succeed later; a permanent one
    (refused as invalid, not configured) will not. `instead` is what the visitor may do
    instead (leave a message), opened as the engagement would have been."""

    def __init__(
        self,
        message: str | Promise,
        *,
        permanent: bool,
        detail: str = "",
        instead: "Engagement | None" = None,
    ) -> None:
        message = str(message)  # a lazy translation, in the language of the moment
        super().__init__(message)
        self.message, self.permanent, self.detail = message, permanent, detail or message
        self.instead = instead


class MediaAdapter:
    """Subclasses set OPTIONS (name → default; `REQUIRED` for those without one), and may set
    TEMPLATE_OPTIONS, what each invitation template may choose (same form)."""

    OPTIONS: ClassVar[dict[str, Any]] = {}
    TEMPLATE_OPTIONS: ClassVar[dict[str, Any]] = {}

    def __init__(self, *, alias: str, **options: Any) -> None:
        self.alias = alias
        try:
            self.options = resolve(self.OPTIONS, options)
            self.check_options(self.options)
        except ValueError as exc:
            raise ImproperlyConfigured(f"GWE_MEDIA_ADAPTERS[{alias!r}]: {exc}") from None

    def check_options(self, options: dict[str, Any]) -> None:
        """Raise ValueError when a setting's option is wrong (checked at start-up)."""

    def template_options(self, options: dict[str, Any]) -> dict[str, Any]:
        """A template's options with their defaults; ValidationError when one is wrong
        (shown in the admin when the template is saved)."""
        try:
            return resolve(self.TEMPLATE_OPTIONS, options)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def is_available(self, options: dict[str, Any]) -> bool:
        """Whether someone can answer an invitation with these template options now;
        invitations are not offered otherwise. Must be quick: asked on every decision."""
        return True

    def capacity(self, options: dict[str, Any]) -> Capacity | None:
        """How many conversations it can take now, for pacing; None when it cannot say (the
        channel is then paced by the number a business user set for it, or not at all)."""
        return None

    def start(self, context: EngagementContext) -> Engagement:
        """Start the engagement the visitor accepted; raise AdapterError when it cannot."""
        raise NotImplementedError

    def cancel(self, reference: str) -> None:
        """Withdraw an engagement that was started (the visitor left); optional."""

    def resume(self, reference: str) -> Engagement | None:
        """What to embed again on the visitor's next page while an engagement opened in the
        page (`open: embed`) is still going, such as a chat; None when it is over, or when
        nothing follows the visitor (the default). Asked as each page of the visit starts:
        must be quick."""
        return None


REQUIRED = object()


def resolve(defaults: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        known = ", ".join(sorted(defaults)) or "none"
        raise ValueError(f"unknown option(s) {', '.join(unknown)} (known: {known})")
    missing = sorted(k for k, v in defaults.items() if v is REQUIRED and not given.get(k))
    if missing:
        raise ValueError(f"option(s) {', '.join(missing)} must be set")
    return {**defaults, **given}
