"""Page tokens: a server-signed proof that a tracker owns a visit's page."""

from django.core import signing

_signer = signing.Signer(salt="gwe.page-token")


class BadToken(Exception):
    pass


def page_token(*, visit_id: str, page_id: str) -> str:
    return _signer.sign(f"{visit_id}.{page_id}")


def page_token_read(token: object) -> tuple[str, str]:
    """(visit_id, page_id) named by a token, or BadToken if it was not signed by us."""
    if not isinstance(token, str) or len(token) > 200:
        raise BadToken("missing or malformed token")
    try:
        value = _signer.unsign(token)
    except signing.BadSignature:
        raise BadToken("token signature is invalid") from None
    visit_id, _, page_id = value.partition(".")
    return visit_id, page_id
