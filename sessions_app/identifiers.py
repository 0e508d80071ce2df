"""The identifiers people type, scan or send, stated once: join codes, sheet and card
codes, client ids and the participants' public ids. Plain Python, no database."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from sessions_app.exceptions import InputRejected
from sessions_app.models.live_session import JOIN_CODE_ALPHABET

#: A client-generated id of a submission (a phone's answer, a teller's entry).
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
#: Longer than any code we print; what is typed beyond it is not a code of ours.
MAX_CODE = 32


def normalise_code(value) -> str:
    """A join, sheet or card code as stored: upper case, letters and digits only (people
    type spaces, dashes and lower case). Anything that is not text, or far longer than a
    code, becomes the empty string, which matches nothing."""
    if not isinstance(value, str) or len(value) > 4 * MAX_CODE:
        return ""
    code = "".join(ch for ch in value.upper() if ch.isascii() and ch.isalnum())
    return code if len(code) <= MAX_CODE else ""


def random_code(length: int) -> str:
    """A fresh code of ``length`` characters from the alphabet that avoids look-alikes."""
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(length))


def client_id_check(client_id) -> str:
    """``client_id`` if it is a valid client id; raises ``InputRejected("invalid_client_id")``."""
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise InputRejected("invalid_client_id")
    return client_id


def public_id_new() -> str:
    """A participant's public pseudonym, as the log and the exports show it."""
    return "p-" + secrets.token_hex(5)


#: A receipt code's length: 16 characters of the look-alike-free alphabet, about 71 bits.
RECEIPT_LENGTH = 16


def receipt_new() -> str:
    """A fresh receipt code, given to the participant once and never stored: one random
    byte per character, taken modulo the alphabet (22 capitals and digits without
    look-alikes: about 4.4 bits a character, 71 bits in all); one call for the bytes, as every answer gets one."""
    alphabet = JOIN_CODE_ALPHABET
    return "".join(alphabet[byte % len(alphabet)] for byte in secrets.token_bytes(RECEIPT_LENGTH))


def receipt_hash(code) -> str:
    """What the log holds of a receipt code: the lowercase hex SHA-256 of
    ``inspraak.receipt/1:`` and the code as stored (``normalise_code``: upper case,
    letters and digits). The empty string for anything that is not a receipt code."""
    normal = normalise_code(code)
    if len(normal) != RECEIPT_LENGTH:
        return ""
    return hashlib.sha256(f"inspraak.receipt/1:{normal}".encode()).hexdigest()


def receipt_shown(code: str) -> str:
    """A receipt code as people read it: groups of four (``ABCD-EFGH-JKLM-NPQR``)."""
    normal = normalise_code(code)
    return "-".join(normal[i : i + 4] for i in range(0, len(normal), 4))


def sheet_receipt(sheet_code: str) -> str:
    """The receipt code printed on a paper form's tear-off strip: 16 characters drawn
    from a keyed hash (``SECRET_KEY``) of the sheet's code, so a form can be printed again
    with the same receipt and nothing of it is stored. The log holds its
    ``receipt_hash`` once the form counts."""
    from django.conf import settings

    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"inspraak.sheet-receipt/1:{sheet_code}".encode(), "sha256"
    ).digest()
    alphabet = JOIN_CODE_ALPHABET
    return "".join(alphabet[byte % len(alphabet)] for byte in digest[:RECEIPT_LENGTH])
