"""The participant's signed cookie: a random token, one per live session, no account.

Used by the join views and by the websocket consumer, which reads the same cookie from the
handshake. Signed (not encrypted): the token is random and means nothing by itself."""

from __future__ import annotations

from django.conf import settings
from django.core import signing

SALT = "inspraak.participant"


def max_age() -> int:
    """Seconds a participant cookie stays valid: ``RETENTION_PARTICIPANT_DAYS`` (a month by
    default, long enough to come back to a second evening), as the privacy page states it.
    Read at each use, not at import, so that an overridden setting takes effect."""
    return settings.RETENTION_PARTICIPANT_DAYS * 24 * 60 * 60


def __getattr__(name: str):
    # ``MAX_AGE`` was a constant; it stays readable, now from the setting.
    if name == "MAX_AGE":
        return max_age()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def cookie_name(session_id: int) -> str:
    return f"inspraak_p{session_id}"


def _signer(session_id: int) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"{SALT}.{session_id}")


def read_token(cookies: dict, session_id: int) -> str | None:
    """The token in the signed cookie for ``session_id``, or None if absent, forged,
    expired or made for another session."""
    value = cookies.get(cookie_name(session_id))
    if not value:
        return None
    try:
        return _signer(session_id).unsign(value, max_age=max_age())
    except signing.BadSignature:
        return None


def read_tokens(cookies: dict) -> list[str]:
    """The valid tokens of all participant cookies present, each checked against the
    session its name is for (a phone may have joined several sessions)."""
    prefix = cookie_name(0)[:-1]
    tokens = []
    for name in cookies:
        suffix = name[len(prefix) :]
        if name.startswith(prefix) and suffix.isdigit():
            token = read_token(cookies, int(suffix))
            if token:
                tokens.append(token)
    return tokens


def set_token(response, session_id: int, token: str) -> None:
    response.set_cookie(
        cookie_name(session_id),
        _signer(session_id).sign(token),
        max_age=max_age(),
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
