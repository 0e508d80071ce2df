"""The participant's signed cookie: a random token, one per live session, no account.

Used by the join views and by the websocket consumer, which reads the same cookie from the
handshake."""

from __future__ import annotations

from django.conf import settings
from django.core import signing

SALT = "inspraak.participant"
MAX_AGE = 60 * 60 * 24 * 30  # a month: long enough to come back to a second evening


def cookie_name(session_id: int) -> str:
    return f"inspraak_p{session_id}"


def read_token(cookies: dict, session_id: int) -> str | None:
    """The token in the signed cookie for ``session_id``, or None if absent or forged."""
    name = cookie_name(session_id)
    value = cookies.get(name)
    if not value:
        return None
    try:
        return signing.get_cookie_signer(salt=name + SALT).unsign(value, max_age=MAX_AGE)
    except signing.BadSignature:
        return None


def set_token(response, session_id: int, token: str) -> None:
    response.set_signed_cookie(
        cookie_name(session_id),
        token,
        salt=SALT,
        max_age=MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
