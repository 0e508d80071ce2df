"""What the photo reader's outcomes say to a teller or facilitator, in words: one
sentence per page read (``services.reading.PageOutcome``) and a phrase per reason a
question goes to review. Shared by the reading pages and the ``read_forms`` command."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sessions_app.exceptions import ERROR_MESSAGES
from sessions_app.services.reading import PageOutcome


def corner_names(detail: str) -> str:
    """The corners a refused page's ``detail`` names (``top_left,bottom_left``), in words."""
    names = {
        "top_left": _("top left"),
        "top_right": _("top right"),
        "bottom_right": _("bottom right"),
        "bottom_left": _("bottom left"),
    }
    return ", ".join(str(names.get(n.strip(), n.strip())) for n in detail.split(","))


def outcome_message(outcome: PageOutcome, *, scanned: bool = False) -> str:
    """One sentence for a teller or facilitator about one page; ``scanned``: of a file
    uploaded from a scanner, where the advice is the scanner's, not the phone's."""
    sheet = outcome.sheet
    serial = sheet.serial if sheet is not None else 0
    if outcome.status == "refused":
        if outcome.reason == "corner_missing":
            if scanned:
                text = _(
                    "A corner of the form is cut off or covered (%(corners)s). "
                    "Scan the whole page, with all four black squares."
                )
            else:
                text = _(
                    "A corner of the form is cut off or covered (%(corners)s). "
                    "Photograph the whole page, with all four black squares."
                )
            return text % {"corners": corner_names(outcome.detail)}
        return refusal_words(outcome.reason, scanned=scanned)

    if outcome.status == "pages":
        if scanned:
            text = ngettext(
                "Page %(page)d of form %(serial)d is read. Scan page %(missing)s too.",
                "Page %(page)d of form %(serial)d is read. Scan pages %(missing)s too.",
                len(outcome.missing_pages),
            )
        else:
            text = ngettext(
                "Page %(page)d of form %(serial)d is read. Photograph page %(missing)s too.",
                "Page %(page)d of form %(serial)d is read. Photograph pages %(missing)s too.",
                len(outcome.missing_pages),
            )
        return text % {
            "page": outcome.form_page,
            "serial": serial,
            "missing": ", ".join(str(n) for n in outcome.missing_pages),
        }
    if outcome.status == "counted":
        return _("Form %(serial)d is counted.") % {"serial": serial}
    if outcome.status == "waiting":
        if scanned:  # the scan's page has no confirm button: a teller enters it again
            return _(
                "Form %(serial)d is read. It counts when a second entry agrees: a teller "
                "types this form from the paper."
            ) % {"serial": serial}
        return _(
            "Form %(serial)d is read. It counts when a second entry agrees: check the answers "
            "against the paper and confirm them."
        ) % {"serial": serial}
    if outcome.status == "conflict":
        return _(
            "Form %(serial)d reads differently from its other entry; the facilitator reviews it."
        ) % {"serial": serial}
    unsure = sum(1 for value in outcome.reading.answers.values() if not value["sure"])
    return ngettext(
        "Form %(serial)d goes to review: a person checks %(count)d question.",
        "Form %(serial)d goes to review: a person checks %(count)d questions.",
        unsure,
    ) % {"serial": serial, "count": unsure}


#: Why the reader was unsure of a question (``reading.answers``' reasons), in words;
#: functions, so that each is translated in the language active when it is shown.
REASON_WORDS = {
    "unsure_box": lambda: _("a box could not be told empty or marked"),
    "two_marks": lambda: _("more than one mark where one is asked for"),
    "too_many": lambda: _("more marks than the question allows"),
    "ranking_invalid": lambda: _("places used twice or with gaps"),
    "handwritten_digits": lambda: _("handwritten numbers: a person reads them"),
    "handwriting": lambda: _("handwriting: a person types it"),
    "stray_ink": lambda: _("ink beside the boxes: a circled answer, a note or a mark"),
    "blank_in_doubt": lambda: _("a box or answer space that looks empty may hold a light mark"),
    "mark_in_doubt": lambda: _("several marks, and one may be a mark taken back"),
}


#: A page's refusal as said on a scan's page, where a phone's advice does not fit.
SCANNED_REFUSALS = {
    "qr_unreadable": lambda: _(
        "The form's QR code cannot be read (blurred, creased or covered): type the code "
        "printed under it."
    ),
    "poor_fit": lambda: _(
        "The form is folded or curled, or lay askew on the glass. Lay it flat and scan it again."
    ),
    "corner_missing": lambda: _(
        "A corner of the form is cut off or covered. Scan the whole page, with all four "
        "black squares."
    ),
    "too_blurred": lambda: _(
        "The scan is too blurred to find the form's corners. Lay the page flat on the "
        "glass, close the lid, and scan it again."
    ),
}


#: A picture's kind (``capture_hint``) as said on a scan's page: a scanner is not held
#: still or brought closer.
SCANNED_HINTS = {
    "blurred": lambda: _(
        "This scan is blurred: a light mark can be smeared to a speck in it, and a box "
        "scribbled out can look like a cross, so such questions go to a person. Lay the "
        "page flat on the glass, close the lid, and scan it again."
    ),
    "coarse": lambda: _(
        "This scan has too few pixels for light pencil marks, so questions not fully "
        "marked go to a person. Scan at 200 dpi or more, and they are read on their own."
    ),
}


def refusal_words(code: str, *, scanned: bool = False) -> str:
    """A page's refusal code in words (``scanned``: on a scan's page)."""
    words = SCANNED_REFUSALS.get(code) if scanned else None
    return str(words()) if words else str(ERROR_MESSAGES.get(code, code))


def reason_words(code: str) -> str:
    """A reason a question goes to review, or a page's refusal code, in words."""
    words = REASON_WORDS.get(code)
    return str(words()) if words else str(ERROR_MESSAGES.get(code, code))


def capture_hint(capture: str, *, scanned: bool = False) -> str:
    """What a teller can do about a picture that can lose a light mark without a trace,
    blurs or thins it (``PageOutcome.capture``): "" for a sharp picture that keeps one.
    ``scanned``: of a file uploaded from a scanner, where the advice is the scanner's."""
    if scanned and capture in SCANNED_HINTS:
        return str(SCANNED_HINTS[capture]())
    hints = {
        "black_white": _(
            "This is a black-and-white scan: a light pencil mark can vanish from it, so "
            "questions not fully marked go to a person. Scan in grey or colour, at 200 dpi "
            "or more, and they are read on their own."
        ),
        "photocopy": _(
            "This is a photocopy: a light pencil mark can vanish from it, so questions not "
            "fully marked go to a person. Photograph or scan the original form instead."
        ),
        "coarse": _(
            "This photo has too few pixels for light pencil marks, so questions not fully "
            "marked go to a person. Take the photo closer, the form filling the picture, "
            "or use the camera's full resolution."
        ),
        "low_resolution": _(
            "This picture has few pixels for the size of the form (a scan at 150 dpi, or a "
            "photo from far away): a light pencil mark can vanish from it, and a box "
            "scribbled out can look like a cross, so questions not fully marked go to a "
            "person. Scan at 200 dpi or more, or take the photo closer, and they are read "
            "on their own."
        ),
        "blurred": _(
            "This photo is blurred: a light mark can be smeared to a speck in it, and a "
            "box scribbled out can look like a cross, so such questions go to a person. "
            "Hold the phone still, let it focus, and take the photo again."
        ),
    }
    return str(hints.get(capture, ""))
