"""``{{ entry.data|as_json }}``: a log entry's data as the open data and the exported log
write it (JSON, keys sorted), so that staff read ``true``, ``null`` and double quotes
rather than Python's ``True``, ``None`` and single quotes."""

import json

from django import template

register = template.Library()


@register.filter
def as_json(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str)
