"""Importing real Polis conversations (``tests/data/polis/``): the process they make,
and our opinion groups against Polis's own (adjusted Rand index); malformed exports are
refused with the file, line and problem, and nothing is created."""

import csv
import io
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from sklearn.metrics import adjusted_rand_score

from sessions_app.models import (
    LogEntry,
    Moderation,
    Option,
    Participant,
    Process,
    Question,
    Response,
)
from sessions_app.selectors import question_map

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[1] / "data" / "polis"
CONVERSATIONS = {
    # folder: (comments, voters, vote rows, moderated out, ARI at least)
    "15-per-hour-seattle": (54, 339, 2995, 23, 0.85),
    "scoop-hivemind.taxes": (148, 334, 17379, 57, 0.85),
}


def polis_groups(folder: str) -> dict[str, int]:
    with (DATA / folder / "participants-votes.csv").open(encoding="utf-8") as f:
        return {
            row["participant"]: int(row["group-id"]) for row in csv.DictReader(f) if row["group-id"]
        }


def imported(folder: str, path: Path | None = None) -> Process:
    out = io.StringIO()
    call_command("import_polis", str(path or DATA / folder), stdout=out)
    return Process.objects.get(slug=out.getvalue().strip())


@pytest.mark.parametrize("folder", sorted(CONVERSATIONS))
def test_a_polis_conversation_becomes_a_process_and_our_groups_match_polis(folder):
    comments, voters, votes, hidden, least = CONVERSATIONS[folder]
    process = imported(folder)
    question = Question.objects.get(session__process=process)
    assert question.kind == "statements" and process.state == "draft"
    statements = Option.objects.filter(question=question)
    assert statements.count() == comments
    assert statements.filter(moderation=Moderation.HIDDEN).count() == hidden
    assert not statements.filter(external_id="").exists()
    assert (
        Participant.objects.filter(session__process=process, joined_via="import").count() == voters
    )
    responses = Response.objects.filter(question=question)
    assert responses.count() == votes  # every vote row, the changed ones superseded
    counted = responses.filter(status="counted")
    pairs = set(counted.values_list("participant_id", "statement_id"))
    assert len(pairs) == counted.count()  # the latest vote per person and comment
    entry = LogEntry.objects.filter(process=process, action="polis.imported").get()
    assert entry.data["votes"] == votes and len(entry.data["files"]["votes.csv"]) == 64

    found = question_map(question)
    external = dict(
        Participant.objects.filter(session__process=process).values_list("pk", "external_id")
    )
    ours = {external[pk]: label for pk, label in found.labels.items()}
    theirs = polis_groups(folder)
    both = sorted(set(ours) & set(theirs))
    assert len(both) >= 0.95 * len(theirs)
    ari = adjusted_rand_score([theirs[p] for p in both], [ours[p] for p in both])
    assert ari >= least, ari
    # Hidden comments do not shape the map, and nothing hidden is shown as consensus.
    hidden_ids = set(statements.filter(moderation=Moderation.HIDDEN).values_list("pk", flat=True))
    assert not hidden_ids & {s.statement for s in found.consensus(10)}
    assert not hidden_ids & {r.statement for g in found.groups for r in g.representative}


def broken(tmp_path: Path, name: str, replace: tuple[str, str] | None = None, text=None) -> Path:
    folder = tmp_path / "conversation"
    shutil.copytree(DATA / "15-per-hour-seattle", folder)
    target = folder / name
    target.chmod(0o644)
    if text is not None:
        target.write_text(text, encoding="utf-8")
    elif replace is not None:
        content = target.read_text(encoding="utf-8")
        assert replace[0] in content
        target.write_text(content.replace(replace[0], replace[1], 1), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("votes.csv", ("1,-1\n", "1,2\n"), "votes.csv, line "),
        ("votes.csv", (",0,", ",9999,"), "is not in comments.csv"),
        ("comments.csv", None, "comments.csv: the file is missing"),
        ("votes.csv", ("voter-id", "voter"), "votes.csv, line 1: missing column(s): voter-id"),
        ("comments.csv", (",6172,1,0,0,", ",6172,1,0,7,"), "comments.csv, line 2: moderated must"),
    ],
)
def test_a_malformed_export_names_file_line_and_problem_and_creates_nothing(
    tmp_path, name, change, message
):
    folder = broken(tmp_path, name, replace=change)
    if change is None:
        (folder / name).unlink()
    with pytest.raises(CommandError) as refused:
        imported("", folder)
    assert message in str(refused.value)
    assert "Nothing was imported" in str(refused.value)
    assert not Process.objects.exists() and not Response.objects.exists()


def test_a_bad_vote_is_reported_on_its_own_line(tmp_path):
    folder = broken(tmp_path, "votes.csv")
    lines = (folder / "votes.csv").read_text(encoding="utf-8").splitlines()
    fields = lines[5].split(",")
    fields[-1] = "maybe"
    lines[5] = ",".join(fields)
    (folder / "votes.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        imported("", folder)
    assert "votes.csv, line 6: vote must be 1, -1 or 0, not “maybe”" in str(refused.value)
    assert not Process.objects.exists()


def test_the_language_and_organiser_can_be_given(organiser):
    out = io.StringIO()
    call_command(
        "import_polis",
        str(DATA / "15-per-hour-seattle"),
        "--language",
        "nl",
        "--organiser",
        organiser.username,
        stdout=out,
    )
    process = Process.objects.get(slug=out.getvalue().strip())
    assert process.language == "nl"
    assert process.sessions.get().title == "Polis-gesprek"
    assert process.staff_roles.get().user == organiser
    hidden = Option.objects.filter(question__session__process=process, moderation="hidden")
    assert set(hidden.values_list("moderation_reason", flat=True)) == {"in Polis weggemodereerd"}
    with pytest.raises(CommandError, match="nobody"):
        call_command("import_polis", str(DATA / "15-per-hour-seattle"), "--organiser", "nobody")
    assert Process.objects.count() == 1


def test_the_outputs_carry_the_map_with_the_polis_voter_ids(tmp_path):
    import json

    import pdfplumber
    from openpyxl import load_workbook

    process = imported("15-per-hour-seattle")
    question = Question.objects.get(session__process=process)
    live = question_map(question)
    paths = {fmt: tmp_path / f"out.{fmt}" for fmt in ("json", "xlsx", "pdf")}
    for fmt, path in paths.items():
        call_command("export_results", process.slug, "--format", fmt, "-o", str(path))

    [found] = json.loads(paths["json"].read_text(encoding="utf-8"))["opinion_maps"]
    assert found["question"] == question.pk and found["placed"] == 138
    assert [g["name"] for g in found["groups"]] == ["A", "B"]
    # The best k by silhouette is told beside the silhouettes (docs/opinion-map.md).
    assert found["best_k"] == int(max(found["silhouettes"], key=found["silhouettes"].get))
    by_voter = {p["external_id"]: p["group"] for p in found["participants"]}
    external = dict(
        Participant.objects.filter(session__process=process).values_list("pk", "external_id")
    )
    assert by_voter == {external[pk]: label for pk, label in live.labels.items()}
    theirs = polis_groups("15-per-hour-seattle")
    both = sorted(set(by_voter) & set(theirs))
    assert adjusted_rand_score([theirs[p] for p in both], [by_voter[p] for p in both]) >= 0.85

    sheet = load_workbook(paths["xlsx"])["Map Q1"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0].endswith("opinion map")
    people = [r for r in rows if r and r[0] in {p["participant"] for p in found["participants"]}]
    assert len(people) == 138 and {r[2] for r in people} == {"A", "B"}
    [chart] = sheet._charts
    assert [s.tx.strRef.f if s.tx.strRef else s.tx.v for s in chart.series] == [
        "Group A",
        "Group B",
    ]

    with pdfplumber.open(paths["pdf"]) as document:
        text = "\n".join(page.extract_text() or "" for page in document.pages)
    # The map sits under its statements question, in the question's session.
    assert "Opinion map" in text and "Group A" in text and "Group B" in text
    assert "138 of 339 participants are on the map" in text


def test_meta_and_seed_comments_and_timestamps_in_seconds_mean_what_they_mean_in_polis(
    tmp_path,
):
    """Polis's comments carry ``is-meta`` (about the conversation itself, left out of
    its groups as a moderated-out comment is) and ``is-seed`` (the owners' own), which
    its CSV export leaves out: a file that has them is read with that meaning. Its newer
    exporter writes seconds where the older one wrote milliseconds: both read alike."""
    import csv

    folder = broken(tmp_path, "comments.csv")
    with (folder / "comments.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    meta, seed = rows[0]["comment-id"], rows[1]["comment-id"]
    for row in rows:
        row["is-meta"] = "true" if row["comment-id"] == meta else "false"
        row["is-seed"] = "1" if row["comment-id"] == seed else "0"
        row["timestamp"] = str(int(row["timestamp"]) // 1000)  # seconds
    with (folder / "comments.csv").open("w", encoding="utf-8", newline="") as f:
        out = csv.DictWriter(f, fieldnames=list(rows[0]))
        out.writeheader()
        out.writerows(rows)
    process = imported("", folder)
    statements = Option.objects.filter(question__session__process=process)
    first = statements.get(external_id=meta)
    assert first.moderation == "hidden" and "meta" in first.moderation_reason
    assert statements.get(external_id=seed).origin == "organiser"
    assert statements.exclude(external_id=seed).filter(origin="organiser").count() == 0
    assert statements.get(external_id=seed).created_at.timestamp() == int(rows[1]["timestamp"])
    # A flag that is neither: the file, the line and the problem.
    text = (folder / "comments.csv").read_text(encoding="utf-8").replace(",true,", ",maybe,", 1)
    (folder / "comments.csv").write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match=r"comments.csv, line 2: is-meta must be 1, 0"):
        imported("", folder)
