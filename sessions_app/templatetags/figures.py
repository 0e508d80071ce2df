"""Figures on staff pages written as the council's outputs write them (``numbers``):
``{% load figures %}``, then ``{{ share|percent }}`` or ``{{ mean|number }}``."""

from django import template

from sessions_app import numbers

register = template.Library()


@register.filter
def percent(value) -> str:
    return numbers.percent(value)


@register.filter
def number(value) -> str:
    return numbers.number(value)
