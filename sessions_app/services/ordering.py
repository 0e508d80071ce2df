"""Moving one item of an ordered list (sessions of a process, questions of a session)."""

from __future__ import annotations


def move_in_order(items: list, pk: int, offset: int) -> tuple[int, int] | None:
    """Move the item with ``pk`` by ``offset`` places and renumber ``position`` from 1,
    saving only rows whose position changed. Returns the 1-based (from, to) places, or
    ``None`` when the item is already at that end."""
    index = next(i for i, item in enumerate(items) if item.pk == pk)
    target = index + offset
    if not 0 <= target < len(items):
        return None
    items[index], items[target] = items[target], items[index]
    for position, item in enumerate(items, start=1):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])
    return index + 1, target + 1
