"""What the accessibility statement (``/accessibility/``) says: the organisation's part
from settings (who publishes it, how to reach them, an audit if there is one), and the
software's part from what its own tests check, so that the page and the tests name the
same pages.

The format follows the statements Dutch public bodies publish (toegankelijkheidsverklaring,
on the model of digitoegankelijk.nl): the standard (WCAG 2.1 level AA, EN 301 549), a
compliance status A to E, how it was examined, known problems with what is done about them,
how to report a problem, and where to complain.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from importlib import metadata

from django.conf import settings
from django.utils.translation import gettext_lazy as _

#: When the software's part of this statement (the tested pages and the known problems)
#: was last checked against the tests. Update it with the list below.
REVIEWED = datetime.date(2026, 12, 3)

#: The Dutch compliance statuses (digitoegankelijk.nl): A needs an independent audit that
#: finds no problems, B an audit with a plan for what it found. Without an audit, C.
STATUSES = {
    "A": _("A: fully compliant"),
    "B": _("B: partially compliant"),
    "C": _("C: first measures taken"),
    "D": _("D: no measures taken yet"),
    "E": _("E: not compliant"),
}


@dataclass(frozen=True)
class Check:
    """One kind of test the software runs on every change, and the pages it covers."""

    method: str
    pages: tuple[str, ...]


#: What the test suite checks (tests/e2e: ``Axe().run`` with axe-core's WCAG 2.0, 2.1 A
#: and AA rules; keyboard-only walks; the phone's pages as plain forms).
CHECKS = (
    Check(
        _("Automated check with axe-core (WCAG 2.1 A and AA rules) in Chromium: no violations"),
        (
            _("the join page and every question type on the phone"),
            _("the projector page, with live totals and the opinion map"),
            _("the facilitator's console"),
            _("the process designer and the public process page"),
            _("the teller's entry of paper forms and the photo reading"),
            _("the export page and the receipt check"),
        ),
    ),
    Check(
        _("Keyboard only: the tests use these pages without a mouse"),
        (
            _("the facilitator's console, run with its keys"),
            _("voting on statements on the phone, with the arrow keys and Enter"),
        ),
    ),
    Check(
        _("Without JavaScript: the phone's pages work as plain forms"),
        (_("joining, answering every question type, proposing a statement"),),
    ),
)


@dataclass(frozen=True)
class Problem:
    what: str
    instead: str


#: Known problems of the software itself, with what a person can use meanwhile.
PROBLEMS = (
    Problem(
        _("The PDF report is not a tagged PDF, so a screen reader reads it without structure."),
        _(
            "The same results are on the public process page (HTML) and in the spreadsheet "
            "and open data downloads."
        ),
    ),
    Problem(
        _("A printed form cannot be filled in without sight."),
        _(
            "Answer on a phone or computer, which works with a screen reader, or ask a teller "
            "at the meeting to fill in the form with you."
        ),
    ),
    Problem(
        _("Reading paper forms from a photo needs a camera and a steady hand."),
        _("Tellers can type every form instead; nothing is lost by doing so."),
    ),
    Problem(
        _(
            "The administration pages for staff accounts are Django's own and are not "
            "covered by the tests above."
        ),
        _("Accounts and roles can also be managed from the command line."),
    ),
    Problem(
        _(
            "No independent audit of this installation has been done yet, so the status "
            "cannot be higher than C."
        ),
        _("The organisation running this site can have one done and publish its report here."),
    ),
)


def _version() -> str:
    try:
        return metadata.version("inspraak")
    except metadata.PackageNotFoundError:  # pragma: no cover - always installed here
        return ""


def statement_context() -> dict:
    """What the page needs: the organisation (may be empty), contact, status, audit URL
    and date, the response time, and the software's checks and known problems."""
    organisation = settings.ACCESSIBILITY_ORGANISATION or settings.PRIVACY_CONTROLLER
    contact = settings.ACCESSIBILITY_CONTACT or settings.PRIVACY_CONTACT
    audited = bool(settings.ACCESSIBILITY_AUDIT_URL)
    status = settings.ACCESSIBILITY_STATUS if audited else "C"
    return {
        "organisation": organisation,
        "contact": contact,
        "status": status,
        "status_name": STATUSES[status],
        "audit_url": settings.ACCESSIBILITY_AUDIT_URL,
        "audit_date": settings.ACCESSIBILITY_AUDIT_DATE,
        "response_days": settings.ACCESSIBILITY_RESPONSE_DAYS,
        "reviewed": REVIEWED,
        "checks": CHECKS,
        "problems": PROBLEMS[:-1] if audited else PROBLEMS,
        "version": _version(),
    }
