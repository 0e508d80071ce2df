"""Every action the services write has plain words, so no code reaches a resident."""

import re
from pathlib import Path

from django.utils import translation

from sessions_app.log_words import ACTION_WORDS, describe

SERVICES = Path(__file__).resolve().parents[2] / "sessions_app"
ACTION = re.compile(r"action=\"([a-z_]+\.[a-z_]+)\"")


def _written_actions() -> set[str]:
    found = set()
    for path in SERVICES.rglob("*.py"):
        found |= set(ACTION.findall(path.read_text(encoding="utf-8")))
    return found | {"moderation.approved", "moderation.hidden", "response.counted"}


def test_every_written_action_has_words():
    missing = sorted(_written_actions() - ACTION_WORDS.keys())
    assert missing == []


def test_words_are_sentences_in_dutch_and_english():
    with translation.override("en"):
        assert describe("paper.counted") == "A paper form was counted."
    with translation.override("nl"):
        assert describe("paper.counted") != "A paper form was counted."
        assert describe("paper.counted").endswith(".")


def test_an_unknown_code_is_named():
    with translation.override("en"):
        assert describe("future.thing") == "Another change (future.thing)."
