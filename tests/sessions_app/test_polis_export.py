"""A statements question as Polis's export files, read back by ``import_polis`` into the
same vote matrix: a real Polis conversation, cell for cell as Polis exported it, and a
town hall's phones and paper with a changed vote and a hidden statement."""

import csv
import io
import tracemalloc
from pathlib import Path

import pytest
from django.core.management import call_command

from bench.polis_files import write_conversation
from sessions_app.models import Option, Process, Question, Response
from sessions_app.services import facilitation, participation
from sessions_app.services.paper import sheet_entry_record
from sessions_app.services.participation import response_submit
from tests.paper_fixtures import option
from tests.statement_votes import vote_all

from .test_polis_import import DATA

pytestmark = pytest.mark.django_db


def rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def matrix(path: Path) -> dict[tuple[str, str], str]:
    """(voter, comment) → vote, of a participants-votes.csv."""
    found = {}
    for row in rows(path):
        for column, value in row.items():
            if column.isdigit() and value != "":
                found[(row["participant"], column)] = value
    return found


def import_folder(folder: Path) -> Question:
    out = io.StringIO()
    call_command("import_polis", str(folder), stdout=out, stderr=io.StringIO())
    process = Process.objects.get(slug=out.getvalue().strip())
    return Question.objects.get(session__process=process)


def export(question: Question, folder: Path) -> Path:
    call_command("export_polis", str(question.pk), str(folder), stdout=io.StringIO())
    return folder


def test_a_polis_conversation_comes_back_out_as_polis_exported_it(tmp_path):
    """Seattle, imported and exported: every participant's latest vote on every comment
    is the one in Polis's own participants-votes.csv; the vote history has every row of
    Polis's votes.csv; the moderation of every comment is Polis's."""
    question = import_folder(DATA / "15-per-hour-seattle")
    out = export(question, tmp_path / "out")
    assert matrix(out / "participants-votes.csv") == matrix(
        DATA / "15-per-hour-seattle" / "participants-votes.csv"
    )
    assert len(rows(out / "votes.csv")) == len(rows(DATA / "15-per-hour-seattle" / "votes.csv"))
    theirs = {
        r["comment-id"]: r["moderated"] for r in rows(DATA / "15-per-hour-seattle" / "comments.csv")
    }
    ours = {r["comment-id"]: r["moderated"] for r in rows(out / "comments.csv")}
    assert ours == theirs
    # An accepted comment's text comes back; one moderated out or waiting is withheld.
    texts = dict(question.options.values_list("external_id", "text"))
    for row in rows(out / "comments.csv"):
        if row["moderated"] == "1":
            assert row["comment-body"] == texts[row["comment-id"]]
        else:
            assert row["comment-body"].startswith("(withheld"), row
    # Our groups are in the file, by Polis's voter ids.
    groups = {r["participant"]: r["group-id"] for r in rows(out / "participants-votes.csv")}
    assert {g for g in groups.values() if g} == {"0", "1"}


def test_a_town_hall_goes_to_polis_files_and_comes_back_the_same(
    tmp_path, paper_session, printed, organiser, settings
):
    """Phones and paper, a changed vote, a hidden statement: exported as Polis files and
    imported again, the latest vote of every voter on every statement is the same, the
    hidden statement is hidden, and the history keeps the changed vote."""
    session, q = paper_session
    statements = q["statements"]
    facilitation.question_open(user=organiser, question=statements)
    phones = vote_all(session, statements, [(3, "agree"), (2, "disagree")])
    response_submit(  # a change of mind: the latest counts, the first stays in the history
        participant=phones[0],
        question_id=statements.pk,
        answer={"statement": option(statements, 0), "vote": "pass"},
        client_id="statement-vote-changed-1",
    )
    for sheet, vote in zip(printed(2), ("agree", "disagree"), strict=True):
        sheet_entry_record(
            user=organiser,
            sheet=sheet,
            client_id=f"entry-polis-{sheet.serial}",
            answers={str(statements.pk): {"votes": {str(option(statements, 1)): vote}}},
        )
    participation.statement_propose(  # waiting for moderation: its text is withheld
        participant=phones[1],
        question_id=statements.pk,
        text="Mijn buurman Jan parkeert altijd op de stoep.",
        client_id="propose-polis-1",
    )
    hidden = Option.objects.get(pk=option(statements, 1))
    facilitation.statement_moderate(
        user=organiser, option=hidden, decision="hide", reason="off topic"
    )
    settings.SITE_URL = "https://inspraak.example.nl"
    out = export(statements, tmp_path / "out")
    # The summary counts those who proposed a statement (one phone), not every voter.
    with (out / "summary.csv").open(encoding="utf-8") as f:
        summary = dict(csv.reader(f))
    assert summary["commenters"] == "1" and summary["voters"] == "7"
    assert summary["url"] == f"https://inspraak.example.nl/p/{session.process.slug}/"
    written = [r["n-comments"] for r in rows(out / "participants-votes.csv")]
    assert sorted(written) == ["0"] * 6 + ["1"]
    bodies = [r["comment-body"] for r in rows(out / "comments.csv")]
    assert not any("Jan" in body for body in bodies)
    assert sum("withheld" in body or "achtergehouden" in body for body in bodies) == 1
    history = rows(out / "votes.csv")
    assert len(history) == Response.objects.filter(question=statements).count()
    assert {r["vote"] for r in history} >= {"1", "-1", "0"}
    back = import_folder(out)
    again = export(back, tmp_path / "again")
    assert matrix(again / "participants-votes.csv") == matrix(out / "participants-votes.csv")
    assert len(matrix(out / "participants-votes.csv")) == 5 * 2 + 2  # phones, paper
    moderation = {r["comment-id"]: r["moderated"] for r in rows(again / "comments.csv")}
    assert moderation == {r["comment-id"]: r["moderated"] for r in rows(out / "comments.csv")}
    assert "-1" in moderation.values()
    assert rows(again / "votes.csv") == history  # the same history, change of mind included


def test_any_size_imports_in_a_bounded_memory(tmp_path):
    """5,000 comments, 2,000 voters and 200,000 votes (Polis's big conversations are this
    size): all of it is imported, with no cap on comments, in less than 400 MB of Python
    memory at its peak (the votes kept as compact rows while the file is read)."""
    folder = tmp_path / "big"
    written = write_conversation(folder, comments=5000, voters=2000, votes=200_000)
    progress = io.StringIO()
    tracemalloc.start()
    try:
        out = io.StringIO()
        call_command("import_polis", str(folder), stdout=out, stderr=progress)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    question = Question.objects.get(session__process__slug=out.getvalue().strip())
    assert question.options.count() == 5000
    assert Response.objects.filter(question=question).count() == written["votes"] == 200_000
    assert question.session.participants.count() == 2000
    assert peak < 400 * 2**20, peak
    told = progress.getvalue()
    assert "votes.csv: 200,000 rows read" in told and "votes written: 200,000 of 200,000" in told


def test_the_progress_lines_speak_the_command_line_language_throughout():
    """A Dutch command line importing an English conversation: every progress line in
    Dutch, the votes written too (the import itself speaks the conversation's language)."""
    from django.utils import translation

    progress = io.StringIO()
    with translation.override("nl"):
        call_command(
            "import_polis",
            str(DATA / "15-per-hour-seattle"),
            "--language",
            "en",
            stdout=io.StringIO(),
            stderr=progress,
        )
    told = progress.getvalue()
    assert "votes.csv: " in told and "regels gelezen" in told
    assert "stemmen geschreven: " in told
    assert "rows read" not in told and "votes written" not in told
