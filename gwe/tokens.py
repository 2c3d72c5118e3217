"""Tokens the server signs: a page token proves a tracker owns a visit's page; a visit token
proves a browser holds the visit (it is in its first-party cookie), so that a page may join
the visit. A visit id alone (seen in a URL, a log, a support ticket) joins nothing."""

from django.core import signing

_signer = signing.Signer(salt="gwe.page-token")
_visits = signing.Signer(salt="gwe.visit-token")


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


def visit_token(visit_id: str) -> str:
    return _visits.sign(visit_id)


def visit_token_names(token: object, visit_id: str) -> bool:
    """Whether `token` is the visit token GWE gave for `visit_id`."""
    if not isinstance(token, str) or len(token) > 200:
        return False
    try:
        return _visits.unsign(token) == visit_id
    except signing.BadSignature:
        return False
