"""``{% load session_days %}``, then ``{% planned_and_held day %}``: a session held on
another day than planned (``selectors.SessionDay``, ``moved``), as the council's outputs
say it: "Gepland donderdag 12 maart 2026, gehouden donderdag 19 maart 2026", each day a
``<time>`` element. A session held on its planned day shows its planned time as before."""

import re

from django import template
from django.utils import dateformat
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext as _

register = template.Library()

#: The sentence's placeholders, kept apart when it is split (``re.split`` with a group).
_PLACEHOLDER = re.compile(r"%\((planned|held)\)s")


def _time(value) -> str:
    return format_html(
        '<time datetime="{}">{}</time>', value.isoformat(), dateformat.format(value, "l j F Y")
    )


@register.simple_tag
def planned_and_held(day) -> str:
    """Both days of ``day`` (a ``SessionDay``) in the page's language: the sentence's
    words escaped, each day a ``<time>`` element, in the order the translation puts them."""
    times = {"planned": _time(day.planned), "held": _time(day.held)}
    pieces = _PLACEHOLDER.split(capfirst(_("planned %(planned)s, held %(held)s")))
    return format_html_join(
        "", "{}", ((times[piece] if index % 2 else piece,) for index, piece in enumerate(pieces))
    )
