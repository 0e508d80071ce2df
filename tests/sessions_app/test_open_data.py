"""The open-data export (JSON): written by ``export_results``, recounted and verified by
``verify_log --export`` without the database, and refused when tampered with."""

import copy
import io
import json

import pytest
from django.core.management import CommandError, call_command

from sessions_app.exports.recount import recount
from sessions_app.models import Response, ResponseStatus
from sessions_app.results import question_results
from sessions_app.services import facilitation, participation
from sessions_app.services.hands import hand_count_record
from sessions_app.services.paper import sheet_entry_record
from tests.paper_fixtures import option

pytestmark = pytest.mark.django_db


def _phone(session, via):
    return participation.participant_join(session=session, via=via)


_ids = iter(range(10_000, 99_999))


def _answer(phone, question, raw):
    return participation.response_submit(
        participant=phone, question_id=question.pk, answer=raw, client_id=f"client-{next(_ids)}"
    )


@pytest.fixture
def town_hall(paper_session, printed, organiser):
    """Every kind of question answered from the room, from home, on paper and by hands,
    with a changed answer, moderated open text and statement votes."""
    session, q = paper_session
    sheets = printed(2)
    for question in q.values():
        facilitation.question_open(user=organiser, question=question)
    room, room2, home = _phone(session, "room"), _phone(session, "room"), _phone(session, "remote")
    _answer(room, q["choice"], {"option": option(q["choice"], 0)})
    _answer(room, q["choice"], {"option": option(q["choice"], 1)})  # changes their mind
    _answer(room2, q["choice"], {"option": option(q["choice"], 1)})
    _answer(home, q["choice"], {"option": option(q["choice"], 2)})
    for phone, value in ((room, 2), (room2, 5), (home, 4)):
        _answer(phone, q["scale"], {"value": value})
    _answer(room, q["multiple"], {"options": [option(q["multiple"], 0), option(q["multiple"], 1)]})
    _answer(home, q["multiple"], {"options": [option(q["multiple"], 1)]})
    ranking = [option(q["ranking"], i) for i in (2, 0, 1)]
    _answer(room, q["ranking"], {"ranking": ranking})
    _answer(home, q["ranking"], {"ranking": ranking[::-1]})
    budget = q["budget"]
    _answer(room, budget, {"allocation": {str(option(budget, 0)): 60, str(option(budget, 1)): 40}})
    _answer(home, budget, {"allocation": {str(option(budget, 1)): 100}})
    approved = _answer(room, q["text"], {"text": "Meer bankjes in de schaduw"})
    hidden = _answer(home, q["text"], {"text": '=HYPERLINK("http://x.test","klik") <script>'})
    _answer(room2, q["text"], {"text": "Nog niet gemodereerd"})
    for result, decision in ((approved, "approve"), (hidden, "hide")):
        facilitation.response_moderate(
            user=organiser,
            response=Response.objects.get(pk=result.response_id),
            decision=decision,
            reason="formule" if decision == "hide" else "",
        )
    statements = q["statements"]
    for phone, votes in (
        (room, ("agree", "disagree")),
        (home, ("agree", "pass")),
        (room2, ("disagree",)),
    ):
        for index, vote in enumerate(votes):
            _answer(phone, statements, {"statement": option(statements, index), "vote": vote})
    sheet_entry_record(
        user=organiser,
        sheet=sheets[0],
        client_id="entry-open-data",
        answers={
            str(q["choice"].pk): {"option": option(q["choice"], 0)},
            str(q["scale"].pk): {"value": 3},
            str(q["ranking"].pk): {"ranking": ranking},
            str(budget.pk): {"allocation": {str(option(budget, 0)): 100}},
            str(statements.pk): {"votes": {str(option(statements, 1)): "agree"}},
        },
    )
    hand_count_record(
        user=organiser,
        question=q["choice"],
        counts={str(option(q["choice"], 0)): 7, str(option(q["choice"], 2)): 3},
    )
    hand_count_record(user=organiser, question=q["choice"], counts={str(option(q["choice"], 0)): 6})
    hand_count_record(user=organiser, question=q["scale"], counts={"4": 5})
    return session, q


def export_of(process, tmp_path) -> tuple[dict, str]:
    path = tmp_path / "export.json"
    call_command("export_results", process.slug, "--format", "json", "-o", str(path))
    return json.loads(path.read_text(encoding="utf-8")), str(path)


def verify(data: dict, tmp_path, language: str = "en") -> str:
    """``verify_log --export``'s output, which is in the export's process language (read
    in English here unless ``language`` says otherwise; the language is not evidence)."""
    data = {**data, "process": {**data["process"], "language": language}}
    path = tmp_path / "checked.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_log", "--export", str(path), stdout=out, stderr=err)
    except CommandError as error:
        return f"FAILED {error}\n{err.getvalue()}"
    return out.getvalue()


def test_the_export_holds_the_published_results_and_every_raw_response(town_hall, tmp_path):
    session, questions = town_hall
    data, _path = export_of(session.process, tmp_path)
    assert data["format"] == "inspraak.export/1"
    assert data["process"]["slug"] == session.process.slug
    published = {result["question"]: result for result in data["results"]}
    for question in questions.values():
        question.refresh_from_db()
        assert published[question.pk] == json.loads(json.dumps(question_results(question=question)))
    # Raw: every response whatever its status, the superseded answer included.
    process_responses = Response.objects.filter(question__session=session)
    assert len(data["responses"]) == process_responses.count()
    statuses = [r["status"] for r in data["responses"]]
    assert statuses.count("superseded") == 1
    assert statuses.count("counted") == process_responses.filter(status="counted").count()
    paper = [r for r in data["responses"] if r["source"] == "paper"]
    assert paper and all(r["sheet"] and r["teller"] == "olga" for r in paper)
    assert all(r["channel"] == "paper" for r in paper)
    assert len(data["hand_counts"]) == 4  # three first counts and one correction
    assert data["integrity"]["log_entries"] == len(data["log"]) == session.process.log_seq
    # Public open data publishes approved text only: hidden and pending text, and the
    # reasons for hiding, stay out (their commitments stay in the log).
    assert data["variant"] == "public"
    texts = {r["text"] for r in data["responses"] if r["text"]}
    assert texts == {"Meer bankjes in de schaduw"}
    assert {t["text"] for t in data["texts"]} == texts
    raw = json.dumps(data, ensure_ascii=False)
    for withheld in ("HYPERLINK", "Nog niet gemodereerd", "formule"):
        assert withheld not in raw
    written = [r for r in data["responses"] if r["question"] == questions["text"].pk]
    assert all(r["text_commitment"] for r in written)
    assert {r["moderation_reason"] for r in data["responses"]} == {None}


def test_the_staff_variant_holds_every_text_and_is_marked(town_hall, tmp_path):
    session, _questions = town_hall
    path = tmp_path / "staff.json"
    call_command("export_results", session.process.slug, "--format", "json-staff", "-o", str(path))
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["variant"] == "staff"
    # Open text travels as data: the formula and the tag are plain strings.
    texts = {r["text"] for r in data["responses"] if r["text"]}
    assert '=HYPERLINK("http://x.test","klik") <script>' in texts
    assert "Nog niet gemodereerd" in texts
    assert "formule" in {r["moderation_reason"] for r in data["responses"]}
    assert "formule" in {t["text"] for t in data["texts"]}
    assert verify(data, tmp_path).startswith("OK ")


def test_the_results_are_recounted_from_the_raw_responses(town_hall, tmp_path):
    session, questions = town_hall
    data, _path = export_of(session.process, tmp_path)
    assert recount(data) == []
    choice = next(r for r in data["results"] if r["question"] == questions["choice"].pk)
    # The hand count correction (7 -> 6) stands, not the count it replaced.
    first = choice["options"][0]["counts"]
    assert first == {"room": 0, "remote": 0, "paper": 1, "hands": 6, "total": 7}
    assert verify(data, tmp_path).startswith(f"OK {session.process.slug}:")
    # In the process's own language: this one is Dutch.
    assert data["process"]["language"] == "nl"
    assert "logregels, einde" in verify(data, tmp_path, language="nl")


@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        ("count", "results: question {choice}.options[0].counts.total: published 8, recounted 7"),
        ("status", "results: question {choice}.respondents"),
        (
            "removed_log_line",
            "log entry 4: an entry is missing or out of order (entry 3 expected here)",
        ),
        ("edited_log_entry", "log entry 2: its content does not match its hash"),
        ("cut_log_end", "the end of the log does not match the head the process recorded"),
        ("removed_response", "integrity.responses: the file states"),
        ("counted_count", "integrity.responses_counted: the file states 1"),
        ("unreadable_response", "the responses or results cannot be read"),
    ],
)
def test_a_tampered_export_fails_and_names_the_place(town_hall, tmp_path, tamper, named):
    session, questions = town_hall
    data, _path = export_of(session.process, tmp_path)
    changed = copy.deepcopy(data)
    choice = questions["choice"].pk
    if tamper == "count":
        result = next(r for r in changed["results"] if r["question"] == choice)
        result["options"][0]["counts"]["total"] += 1
    elif tamper == "status":
        response = next(
            r for r in changed["responses"] if r["question"] == choice and r["status"] == "counted"
        )
        response["status"] = ResponseStatus.VOIDED
    elif tamper == "removed_log_line":
        del changed["log"][2]
    elif tamper == "edited_log_entry":
        changed["log"][1]["data"]["title"] = "Iets anders"
    elif tamper == "cut_log_end":
        del changed["log"][-1]
        changed["integrity"]["log_entries"] -= 1
    elif tamper == "counted_count":
        changed["integrity"]["responses_counted"] = 1
    elif tamper == "removed_response":
        del changed["responses"][0]
    elif tamper == "unreadable_response":
        del changed["responses"][0]["status"]
    outcome = verify(changed, tmp_path)
    assert outcome.startswith("FAILED")
    assert named.format(choice=choice) in outcome
    assert verify(data, tmp_path).startswith("OK")  # the untouched file still verifies


def test_answers_and_results_changed_together_no_longer_match_the_log(town_hall, tmp_path):
    """Results recounted from changed rows agree with them; the rows no longer agree
    with the log entries that made them. A vote moved from one option to another, and a
    show of hands raised, each with its published results recounted, fail, and the
    problem names the row."""
    from sessions_app.exports.recount import recount_question

    session, questions = town_hall
    data, _path = export_of(session.process, tmp_path)
    choice = questions["choice"].pk

    def recounted(changed, question_id):
        counted = [
            r
            for r in changed["responses"]
            if r["question"] == question_id and r["status"] == "counted"
        ]
        hands = [h for h in changed["hand_counts"] if h["question"] == question_id]
        question = next(q for q in changed["questions"] if q["id"] == question_id)
        result = next(r for r in changed["results"] if r["question"] == question_id)
        result.update(recount_question(question, counted, hands))
        assert recount(changed) == []  # the results agree with the changed rows
        return changed

    moved = copy.deepcopy(data)
    response = next(
        r
        for r in moved["responses"]
        if r["question"] == choice and r["status"] == "counted" and r["source"] != "paper"
    )
    options = [o["id"] for o in next(q for q in moved["questions"] if q["id"] == choice)["options"]]
    response["items"] = [[next(o for o in options if o != response["items"][0][0]), 1]]
    outcome = verify(recounted(moved, choice), tmp_path)
    assert outcome.startswith("FAILED")
    assert f"answer {response['id']} (log entry" in outcome and "(items: stored" in outcome
    raised = copy.deepcopy(data)
    hand = raised["hand_counts"][-1]
    hand["count"] += 5
    outcome = verify(recounted(raised, hand["question"]), tmp_path)
    assert outcome.startswith("FAILED") and f"hand count {hand['id']} (log entry" in outcome
    assert verify(data, tmp_path).startswith("OK")


def test_one_published_text_changed_is_one_problem(town_hall, tmp_path):
    """A text changed in ``texts`` no longer gives its commitment, and no longer is the
    text behind its answer's commitment: one text, named once, counted once."""
    session, _questions = town_hall
    data, _path = export_of(session.process, tmp_path)
    changed = copy.deepcopy(data)
    item = next(t for t in changed["texts"] if t.get("text"))
    item["text"] += " (aangepast)"
    assert any(r.get("text_commitment") == item["commitment"] for r in changed["responses"])
    outcome = verify(changed, tmp_path)
    assert outcome.startswith("FAILED The export failed verification (1 problem).")
    assert outcome.count(item["commitment"]) == 1, outcome


def test_a_file_that_is_not_an_export_is_refused_clearly(tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"format": "inspraak.process/1"}', encoding="utf-8")
    with pytest.raises(CommandError, match="not an Inspraak export"):
        call_command("verify_log", "--export", str(path))
    path.write_text("{ half", encoding="utf-8")
    with pytest.raises(CommandError, match="is not JSON"):
        call_command("verify_log", "--export", str(path))


def test_an_unknown_process_is_refused_and_nothing_is_written(db, tmp_path):
    target = tmp_path / "none.json"
    with pytest.raises(CommandError, match="No process"):
        call_command("export_results", "geen-proces", "-o", str(target))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db(transaction=True)
def test_an_export_made_outside_any_transaction_verifies(process, tmp_path):
    # The command's own snapshot (on PostgreSQL a repeatable-read transaction) is taken
    # only when nobody else holds a transaction, as in production.
    data, _path = export_of(process, tmp_path)
    assert data["integrity"]["log_entries"] == process.log_seq > 0
    assert verify(data, tmp_path).startswith(f"OK {process.slug}:")


def test_the_export_follows_its_published_schema(town_hall, tmp_path):
    from pathlib import Path

    from jsonschema import Draft202012Validator

    schema = json.loads(
        (Path(__file__).resolve().parents[2] / "docs" / "export-format.schema.json").read_text()
    )
    Draft202012Validator.check_schema(schema)
    session, _questions = town_hall
    data, _path = export_of(session.process, tmp_path)
    errors = sorted(Draft202012Validator(schema).iter_errors(data), key=str)
    assert errors == []
    data["responses"][0]["status"] = "maybe"
    assert list(Draft202012Validator(schema).iter_errors(data))
