"""Filters that pre-fill the phone's plain HTML form with the participant's own answer
(the protocol's answer shapes, see ``sessions_app.answers``) or, after the form was
refused, with its fields as sent (a ``QueryDict``: the names ``answer_from_form`` reads),
so that the person corrects the answer instead of starting again."""

from django import template
from django.http import QueryDict

register = template.Library()


@register.filter
def chosen(mine, option_id) -> bool:
    if isinstance(mine, QueryDict):
        return str(option_id) in mine.getlist("option") + mine.getlist("options")
    if not isinstance(mine, dict):
        return False
    return mine.get("option") == option_id or option_id in mine.get("options", [])


@register.filter
def value_is(mine, value) -> bool:
    """Whether a scale's answer is ``value``."""
    if isinstance(mine, QueryDict):
        return mine.get("value") == str(value)
    return isinstance(mine, dict) and mine.get("value") == value


@register.filter
def rank_of(mine, option_id):
    if isinstance(mine, QueryDict):
        # As sent, also when two options were given the same place.
        place = mine.get(f"rank_{option_id}", "")
        return int(place) if place.isdigit() else ""
    ranking = mine.get("ranking", []) if isinstance(mine, dict) else []
    return ranking.index(option_id) + 1 if option_id in ranking else ""


@register.filter
def amount_of(mine, option_id) -> int | str:
    if isinstance(mine, QueryDict):
        return mine.get(f"amount_{option_id}", "")
    allocation = mine.get("allocation", {}) if isinstance(mine, dict) else {}
    return allocation.get(str(option_id), 0)


@register.filter
def vote_of(mine, statement_id) -> str:
    if isinstance(mine, QueryDict):
        return mine.get(f"vote_{statement_id}", "")
    return mine.get(str(statement_id), "") if isinstance(mine, dict) else ""


@register.filter
def statements_split(options, mine) -> dict:
    """The statements one at a time, as in Polis: the first not voted on yet (``next``,
    with its ``number`` of ``total``) and those voted on (``voted``)."""
    votes = mine if isinstance(mine, dict) else {}
    options = list(options)
    voted = [o for o in options if votes.get(str(o.pk))]
    upcoming = next((o for o in options if not votes.get(str(o.pk))), None)
    return {"next": upcoming, "number": len(voted) + 1, "total": len(options), "voted": voted}


@register.filter
def get_item(mapping, key):
    return mapping.get(str(key)) if isinstance(mapping, dict) else None


@register.filter
def describe_answer(answer, question) -> str:
    """An entry's answer in words, for reviewing two entries side by side."""
    from django.utils.translation import gettext as _

    if not isinstance(answer, dict) or question is None:
        return str(answer)
    names = {o.pk: o.text for o in question.options.all()}
    if "option" in answer:
        return names.get(int(answer["option"]), "?")
    if "options" in answer:
        return "; ".join(names.get(int(o), "?") for o in answer["options"])
    if "value" in answer:
        return str(answer["value"])
    if "ranking" in answer:
        return "; ".join(
            f"{place}. {names.get(int(o), '?')}" for place, o in enumerate(answer["ranking"], 1)
        )
    if "allocation" in answer:
        return "; ".join(
            f"{names.get(int(o), '?')}: {amount}" for o, amount in answer["allocation"].items()
        )
    if "text" in answer:
        return answer["text"]
    if "votes" in answer:
        labels = {"agree": _("agree"), "disagree": _("disagree"), "pass": _("pass")}
        parts = [
            f"{names.get(int(s), '?')}: {labels.get(v, v)}" for s, v in answer["votes"].items()
        ]
        if answer.get("proposal"):
            parts.append(_("new statement: %(text)s") % {"text": answer["proposal"]})
        return "; ".join(parts)
    return str(answer)


@register.simple_tag
def posted(data, question, field: str, key=None) -> list[str]:
    """What a refused teller form held in field ``q<id>-<field>[_<key>]``, to fill it in
    again (an empty list on a fresh form)."""
    if not data:
        return []
    name = f"q{question.pk}-{field}" + (f"_{key}" if key is not None else "")
    return data.getlist(name)
