"""``{% content_lang language %}``: a ``lang`` attribute for text written in a process's
own language (its title, questions, options) on a page whose interface speaks another
one, so that a screen reader pronounces it right (WCAG 3.1.2, language of parts)."""

from django import template
from django.utils import translation
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def content_lang(language: str) -> str:
    """`` lang="nl"`` when ``language`` differs from the page's, else nothing."""
    page = (translation.get_language() or "").split("-")[0]
    if not language or language.split("-")[0] == page:
        return ""
    return format_html(' lang="{}"', language)
