"""A budget question's unit reaches the phones and the presenter with the question."""

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from realtime.snapshots import question_definition

pytestmark = pytest.mark.django_db

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "realtime-protocol.schema.json").read_text()
)


def test_a_budget_question_carries_its_unit_and_points_are_an_empty_unit(make_question):
    euros = question_definition(make_question("budget", budget_unit="euro"))
    points = question_definition(make_question("budget"))
    assert (euros["unit"], euros["total"]) == ("euro", 100)
    assert points["unit"] == ""
    definition = SCHEMA["$defs"]["question"]
    validator = Draft202012Validator({**definition, "$defs": SCHEMA["$defs"]})
    assert list(validator.iter_errors(euros)) == []
    assert list(validator.iter_errors({**euros, "unit": "x" * 21}))
