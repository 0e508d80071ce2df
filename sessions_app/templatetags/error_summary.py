"""The error summary of a refused form: ``{% load error_summary %}``, then
``{% error_summary form formset … %}`` at the top of the page. It lists every problem,
each linked to its field, and takes the focus when the page loads (as the tellers' forms
do, ``paper/_error_summary.html``), so a refused form is announced where it reloads."""

from django import template
from django.utils.translation import pgettext

register = template.Library()


def _anchor(field) -> str:
    """The id to link to: the field's control, or a radio group's first button."""
    return field.id_for_label or f"{field.auto_id}_0"


def _field_items(form, caption: str = "", number: int = 0) -> list[dict]:
    items = []
    for field in form:
        if field.is_hidden or not field.errors:
            continue
        label = str(field.label or field.name)
        if number:
            label = pgettext(
                "a field in a numbered row of a table: the table, the row, the field",
                "%(table)s, row %(n)s: %(field)s",
            ) % {"table": caption, "n": number, "field": label}
        items += [{"href": _anchor(field), "label": label, "message": e} for e in field.errors]
    return items


@register.inclusion_tag("includes/error_summary.html")
def error_summary(form, *formsets):
    """``form``'s problems, then those of each bound formset's rows (named by the
    formset's ``caption`` and the row's number) and the formset's own."""
    general = list(form.non_field_errors())
    items = _field_items(form)
    for formset in formsets:
        if not formset or not formset.is_bound:
            continue
        caption = str(getattr(formset, "caption", ""))
        for number, row in enumerate(formset.forms, start=1):
            items += _field_items(row, caption, number)
            general += [f"{caption}: {e}" for e in row.non_field_errors()]
        general += [f"{caption}: {e}" for e in formset.non_form_errors()]
    return {"items": items, "general": general}
