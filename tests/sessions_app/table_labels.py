"""Every table on a page has a name: a caption, or aria-labelledby naming an element there."""

import re

TABLE = re.compile(r"<table\b[^>]*>\s*(<caption)?", re.S)


def unnamed_tables(html: str) -> list[str]:
    unnamed = []
    for match in TABLE.finditer(html):
        if match.group(1):
            continue
        labelled = re.search(r'aria-labelledby="([^"]+)"', match.group(0))
        if not labelled or any(f'id="{name}"' not in html for name in labelled.group(1).split()):
            unnamed.append(match.group(0))
    return unnamed
