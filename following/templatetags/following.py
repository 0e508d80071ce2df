"""``{% load following %}``: whether a process's page offers following by e-mail."""

from django import template

from following.services import enabled

register = template.Library()


@register.filter
def followable(process) -> bool:
    return bool(getattr(process, "is_public", False)) and enabled()
