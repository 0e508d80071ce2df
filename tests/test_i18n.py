"""Dutch and English are complete, compiled, and match the strings in the code."""

import inspect
import re
import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.utils import translation

from printables import strings as printed
from sessions_app.views import strings as scripts

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["config", "sessions_app", "following", "realtime", "printables", "templates"]


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))


def keys(po) -> set[tuple[str | None, str]]:
    return {(entry.msgctxt, entry.msgid) for entry in po if not entry.obsolete}


@pytest.mark.parametrize("language", ["nl", "en"])
def test_catalogue_is_complete_and_compiled(language):
    po = catalogue(language)
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    mo = polib.mofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.mo"))
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in mo}
    for entry in po.translated_entries():
        assert compiled[(entry.msgctxt, entry.msgid)] == (entry.msgstr, entry.msgstr_plural), (
            entry.msgid
        )


def test_catalogues_hold_every_marked_string(tmp_path, settings, monkeypatch):
    """Extract the strings afresh from a copy of the code; none may be missing."""
    for name in SOURCES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "locale" / "nl" / "LC_MESSAGES").mkdir(parents=True)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)
    call_command("makemessages", locale=["nl"], verbosity=0)
    fresh = keys(polib.pofile(str(tmp_path / "locale" / "nl" / "LC_MESSAGES" / "django.po")))
    for language in ("nl", "en"):
        missing = fresh - keys(catalogue(language))
        assert not missing, f"{language}: run makemessages and translate: {sorted(missing)[:10]}"


PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w*)\}|%[sd]")


def placeholders(text: str) -> set[str]:
    return {match.group(0) for match in PLACEHOLDER.finditer(text)}


@pytest.mark.parametrize("language", ["nl", "en"])
def test_translations_keep_the_placeholders(language):
    """A translation naming a placeholder its English lacks fails at runtime (KeyError);
    one dropping a placeholder loses a number. Plural forms may leave the count out."""
    wrong = []
    for entry in catalogue(language).translated_entries():
        if entry.msgid_plural:
            allowed = placeholders(entry.msgid) | placeholders(entry.msgid_plural)
            if any(not placeholders(text) <= allowed for text in entry.msgstr_plural.values()):
                wrong.append(entry.msgid)
        elif placeholders(entry.msgstr) != placeholders(entry.msgid):
            wrong.append(entry.msgid)
    assert wrong == []


def test_every_string_sent_to_scripts_and_forms_is_dutch_on_a_dutch_page():
    """The strings handed to the pages' scripts and to the printed forms: each one, in
    Dutch, is a Dutch translation from the catalogue (a message makemessages cannot find
    would stay English)."""

    dutch = set()
    for entry in catalogue("nl").translated_entries():
        dutch.add(entry.msgstr)
        dutch.update(entry.msgstr_plural.values())
    builders = [
        function
        for module in (scripts, printed)
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__
        and not name.startswith("_")
        and not inspect.signature(function).parameters
    ]
    assert len(builders) >= 10
    untranslated = []
    with translation.override("nl"):
        for build in builders:
            made = build()
            values = made.values() if isinstance(made, dict) else [made]
            for value in values:
                if isinstance(value, str) and value not in dutch:
                    untranslated.append((build.__name__, value))
    assert untranslated == []
