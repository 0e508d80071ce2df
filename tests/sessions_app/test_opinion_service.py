"""The opinion map from the database: paper votes count like phone votes, a hidden
statement changes the map, and nothing is recomputed while nothing changed."""

import pytest

from sessions_app.models import JoinedVia, Participant
from sessions_app.selectors import stored_map
from sessions_app.services import facilitation
from sessions_app.services.opinion import map_inputs, map_refresh
from sessions_app.services.paper import sheet_entry_record
from tests.paper_fixtures import option
from tests.statement_votes import vote_all

pytestmark = pytest.mark.django_db


def test_paper_votes_shape_the_map_like_phone_votes(paper_session, printed, organiser):
    session, q = paper_session
    statements = q["statements"]
    facilitation.question_open(user=organiser, question=statements)
    vote_all(session, statements, [(2, "agree"), (1, "disagree")])
    sheets = printed(3)
    for sheet, vote in zip(sheets, ("agree", "disagree", "disagree"), strict=True):
        sheet_entry_record(
            user=organiser,
            sheet=sheet,
            client_id=f"entry-map-{sheet.serial}",
            answers={
                str(statements.pk): {
                    "votes": {str(option(statements, 0)): vote, str(option(statements, 1)): vote}
                }
            },
        )
    data = map_refresh(statements)
    assert data["placed"] == 6 and len(data["groups"]) == 2
    paper = set(
        Participant.objects.filter(session=session, joined_via=JoinedVia.PAPER).values_list(
            "pk", flat=True
        )
    )
    assert len(paper) == 3 and paper <= {int(p) for p in data["positions"]}
    groups = {}
    for participant, (_x, _y, label) in data["positions"].items():
        groups.setdefault(label, set()).add(int(participant))
    # The agreeing paper form sits with the agreeing phones; the disagreeing forms with
    # the disagreeing phone.
    assert sorted(len(members) for members in groups.values()) == [3, 3]
    assert all(len(members & paper) in (1, 2) for members in groups.values())


def test_moderation_changes_the_map_and_nothing_else_recomputes(paper_session, organiser):
    session, q = paper_session
    statements = q["statements"]
    facilitation.question_open(user=organiser, question=statements)
    vote_all(session, statements, [(3, "agree"), (3, "disagree")])
    first = map_refresh(statements)
    assert len(first["groups"]) == 2
    assert map_inputs(statements.pk) is None  # nothing changed: nothing to compute
    hidden = statements.options.order_by("position").first()
    facilitation.statement_moderate(
        user=organiser, option=hidden, decision="hide", reason="Geen stelling maar een vraag."
    )
    assert map_inputs(statements.pk) is not None
    after = map_refresh(statements)
    stats = {s["statement"]: s for s in after["statements"]}
    assert stats[hidden.pk]["hidden"] and hidden.pk not in after["consensus"]
    assert all(r["statement"] != hidden.pk for g in after["groups"] for r in g["representative"])
    assert stored_map(statements.pk) == after
    # A question of another kind has no map.
    assert map_inputs(q["choice"].pk) is None
