"""Numbers as people read them, written the same on every output that shows a figure: the
public results page, the council report (PDF), the session report and the sentences of the
workbook. A council compares them side by side, so one figure must read the same on each.

A figure is written with the decimals ``results.question_results`` gives it (an average
with two, a percentage with one), as the active language writes numbers (``3,65`` and
``1.234`` in Dutch, ``3.65`` and ``1,234`` in English), without a trailing ``,0``
(``50%``, not ``50,0%``). Where an output works out a share itself, ``rounded`` rounds it
a half up from the digits shown (``str(2.45)``, not the float's binary value).

Pure functions: no database.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats
from django.utils.translation import gettext as _


def rounded(value, places: int = 0) -> Decimal:
    """``value`` to ``places`` decimals, a half up (2.45 to 2.5, 12.5 to 13), from the
    digits it is written with (``str(2.45)``, not the float's binary value)."""
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def number(value) -> str:
    """A count or a measure as the active language writes it: grouped thousands, its
    own decimal sign, no trailing ``,0``; ``None`` is empty."""
    if value is None or value == "":
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return formats.number_format(value, force_grouping=True)


def percent(value) -> str:
    """A percentage as ``number`` writes it, with its sign (``50%``, ``33,3%``)."""
    return "" if value is None else _("%(n)s%%") % {"n": number(value)}


def signed(value) -> str:
    """A difference with its sign always written: ``+3``, ``-2`` (the minus as ``number``
    writes any negative number), and ``0`` without a sign; ``None`` is empty."""
    if value is None or value == "":
        return ""
    return f"+{number(value)}" if value > 0 else number(value)
