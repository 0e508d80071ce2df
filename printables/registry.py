"""Every printed output behind one contract: ``render(...) -> (filename, content_type,
bytes)``. Views and commands ask the registry, not the modules."""

from __future__ import annotations

from collections.abc import Callable

from . import cards, follow, paper_form, poster, slips

PDF = "application/pdf"

OUTPUTS: dict[str, Callable[..., bytes]] = {
    "forms": paper_form.render,
    "poster": poster.render_poster,
    "slips": slips.render_slips,
    "cards": cards.render_cards,
    "follow": follow.render_follow_slips,
}


def render(name: str, filename: str, **kwargs) -> tuple[str, str, bytes]:
    return filename, PDF, OUTPUTS[name](**kwargs)
