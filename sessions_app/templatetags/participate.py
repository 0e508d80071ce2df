"""Filters that pre-fill the phone's plain HTML form with the participant's own answer
(the protocol's answer shapes, see ``sessions_app.answers``)."""

from django import template

register = template.Library()


@register.filter
def chosen(mine, option_id) -> bool:
    if not isinstance(mine, dict):
        return False
    return mine.get("option") == option_id or option_id in mine.get("options", [])


@register.filter
def rank_of(mine, option_id):
    ranking = mine.get("ranking", []) if isinstance(mine, dict) else []
    return ranking.index(option_id) + 1 if option_id in ranking else ""


@register.filter
def amount_of(mine, option_id) -> int:
    allocation = mine.get("allocation", {}) if isinstance(mine, dict) else {}
    return allocation.get(str(option_id), 0)


@register.filter
def vote_of(mine, statement_id) -> str:
    return mine.get(str(statement_id), "") if isinstance(mine, dict) else ""
