"""The visitor's credential for their chat: a token signed for the chat's id, handed to the
chat page with the chat (the accept's answer), and shown by it on every request."""

from django.core import signing

_signer = signing.Signer(salt="gwe_chat.visitor")


def visitor_token(chat_id: str) -> str:
    return _signer.sign(chat_id)


def visitor_token_valid(chat_id: str, token: str) -> bool:
    try:
        return _signer.unsign(token or "") == chat_id
    except signing.BadSignature:
        return False


_messages = signing.TimestampSigner(salt="gwe_chat.leave-message")
MESSAGE_TOKEN_SECONDS = 24 * 3600  # a form left open overnight still sends


def message_token(*, visit_id: str, page_id: str, alias: str, chat_id: str = "") -> str:
    """The credential of the *leave a message* form: for whom (the visit and page, and the
    chat they waited in) the message is left."""
    return _messages.sign_object({"v": visit_id, "p": page_id, "a": alias, "c": chat_id})


def message_token_read(token: str) -> dict[str, str] | None:
    """What `message_token` signed, or None when it is not valid (or too old)."""
    try:
        said = _messages.unsign_object(token or "", max_age=MESSAGE_TOKEN_SECONDS)
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(said, dict) or not all(isinstance(said.get(k), str) for k in "vpac"):
        return None
    return said
