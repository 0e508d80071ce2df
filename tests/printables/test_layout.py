"""The layout data on its own: long texts break over pages and nothing leaves the printable
area; the attendee card has its place; the version follows the content."""

import pytest
from django.utils import translation

from printables import fonts
from printables.layout import BOTTOM, LEFT, MARKER_MARGIN, QR_SIZE, RIGHT, build
from printables.strings import form_strings

LONG = " ".join(["Het plein krijgt meer groen, bankjes en ruimte voor de weekmarkt."] * 60)


def form(*questions):
    with translation.override("nl"):
        strings = form_strings()
    return {
        "process": "Stationsplein",
        "session": "Avond",
        "questions": list(questions),
        "strings": strings,
    }


def everything_inside(data):
    top = MARKER_MARGIN + QR_SIZE + 6
    for page in data["pages"]:
        for text in page["texts"]:
            size = text["size"]
            assert text["y"] <= BOTTOM + 0.01, (page["number"], text)
            width = fonts.width_mm(text["text"], size, text["bold"])
            if text["align"] == "left":
                assert text["x"] + width <= RIGHT + 0.5, text
            elif text["align"] == "right":
                assert text["x"] - width >= LEFT - 0.5, text
        for item in page["boxes"] + page["areas"]:
            assert item["y"] + item["h"] <= BOTTOM + 0.01, (page["number"], item)
            if page["number"] > 1:
                assert item["y"] >= top - 0.01, item


@pytest.mark.parametrize("large_print", [False, True])
def test_a_long_description_and_300_statements_fit_on_the_pages(large_print):
    statements = [{"id": 1000 + n, "text": f"Stelling {n}: {LONG[:140]}"} for n in range(300)]
    data = build(
        form(
            {
                "id": 1,
                "kind": "single_choice",
                "text": "Wat kiest u?",
                "description": LONG,
                "options": [{"id": 11, "text": "Groen"}, {"id": 12, "text": LONG[:300]}],
            },
            {
                "id": 2,
                "kind": "statements",
                "text": "Stellingen",
                "description": "",
                "statements": statements,
                "participants_may_add": True,
            },
            {
                "id": 3,
                "kind": "scale",
                "text": "Hoe tevreden?",
                "description": "",
                "min": 1,
                "max": 10,
                "min_label": "helemaal niet tevreden over het plein zoals het nu is",
                "max_label": "heel erg tevreden over het plein zoals het nu is",
            },
        ),
        large_print=large_print,
    )
    assert len(data["pages"]) > 10
    everything_inside(data)
    voted = {
        (b["statement"], b["vote"]) for p in data["pages"] for b in p["boxes"] if "statement" in b
    }
    assert len(voted) == 300 * 3
    # The description is printed in full, over as many pages as it takes.
    words = sum(
        len(t["text"].split())
        for p in data["pages"]
        for t in p["texts"]
        if "weekmarkt" in t["text"] or "bankjes" in t["text"]
    )
    assert words >= len(LONG.split())
    # The scale's end labels wrap in their halves instead of running into each other.
    page = next(p for p in data["pages"] if any(b["question"] == 3 for b in p["boxes"]))
    box_y = max(b["y"] for b in page["boxes"] if b["question"] == 3)
    below = [t for t in page["texts"] if t["y"] > box_y + data["box_size"] + 1]
    low = [t["text"] for t in below if t["align"] == "left"]
    high = [t["text"] for t in below if t["align"] == "right"]
    assert " ".join(low) == "helemaal niet tevreden over het plein zoals het nu is"
    assert " ".join(high) == "heel erg tevreden over het plein zoals het nu is"
    assert len(low) > 1 and len(high) > 1


def test_the_card_block_sits_on_the_first_page_only_when_asked():
    question = {
        "id": 1,
        "kind": "open_text",
        "text": "Wat wilt u kwijt?",
        "description": "",
        "max_length": 300,
    }
    plain = build(form(question), large_print=False)
    carded = build(form(question), large_print=False, with_cards=True)
    assert plain["card"] is None
    card = carded["card"]
    assert card["page"] == 1 and card["x"] >= LEFT and card["y"] + card["size"] <= BOTTOM
    first_area = carded["pages"][0]["areas"][0]
    assert first_area["y"] > card["y"] + card["size"]  # the card does not cover the questions
    assert plain["version"] != carded["version"]
    assert build(form(question), large_print=False)["version"] == plain["version"]
