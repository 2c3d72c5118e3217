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
