"""Management commands as a newcomer meets them: ``--help`` first."""

from __future__ import annotations

import pytest
from django.core.management import ManagementUtility, get_commands
from django.utils import translation

OURS = sorted(name for name, app in get_commands().items() if app == "sessions_app")


def test_every_command_of_ours_is_listed():
    assert {"seed_demo", "verify_log", "import_polis", "read_scan"} <= set(OURS)


@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize("name", sorted(get_commands()))
def test_help_of_every_command_prints_its_usage(name, language, capsys):
    with translation.override(language), pytest.raises(SystemExit) as stopped:
        ManagementUtility(["manage.py", name, "--help"]).execute()
    assert stopped.value.code == 0
    printed = capsys.readouterr().out
    assert f"manage.py {name}" in printed
    assert "--help" in printed


def test_help_text_is_in_the_active_language(capsys):
    with translation.override("nl"), pytest.raises(SystemExit):
        ManagementUtility(["manage.py", "verify_log", "--help"]).execute()
    dutch = capsys.readouterr().out
    with translation.override("en"), pytest.raises(SystemExit):
        ManagementUtility(["manage.py", "verify_log", "--help"]).execute()
    english = capsys.readouterr().out
    assert "Verify the hash chain" in english
    assert "Verify the hash chain" not in dutch
