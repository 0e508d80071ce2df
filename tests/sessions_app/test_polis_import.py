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


def polis_comments(folder: str) -> dict[str, dict]:
    with (DATA / folder / "comments.csv").open(encoding="utf-8") as f:
        return {row["comment-id"]: row for row in csv.DictReader(f)}


def test_imported_comments_are_texts_kept_apart_from_the_log_and_public_once_approved():
    """A comment is what a person wrote: its text is a text row of its own, which the log
    names by its commitment only (the design that made the question has a placeholder,
    not the first comment), the log and every row still verify, and the open data shows
    a comment's text only when Polis accepted it (a moderated-out or waiting one may say
    what its writer would not want public)."""
    import json

    from sessions_app.binding import evidence_verify
    from sessions_app.exports.data import question_part, texts_part
    from sessions_app.models import TextContent
    from sessions_app.services.polis_import import PLACEHOLDER

    process = imported("15-per-hour-seattle")
    question = Question.objects.get(session__process=process)
    theirs = polis_comments("15-per-hour-seattle")
    statements = {o.external_id: o for o in Option.objects.filter(question=question)}
    assert {o.origin for o in statements.values()} == {"import"}

    # Each comment's text is a text row, and the log has its commitment, never the text.
    kept = {t.option_id: t for t in TextContent.objects.filter(process=process)}
    assert sorted(kept) == sorted(o.pk for o in statements.values())
    assert all(kept[o.pk].text == o.text for o in statements.values())
    entry = LogEntry.objects.get(process=process, action="polis.imported")
    assert {c["statement"]: c["text_commitment"] for c in entry.data["comments"]} == {
        pk: t.commitment for pk, t in kept.items()
    }
    [created] = LogEntry.objects.filter(process=process, action="question.created")
    assert created.data["statements"] == [PLACEHOLDER]
    logged = "\n".join(
        json.dumps(e.data, ensure_ascii=False) for e in LogEntry.objects.filter(process=process)
    )
    long_bodies = [o.text for o in statements.values() if len(o.text) >= 20]
    assert long_bodies and not any(body in logged for body in long_bodies)
    report, problem = evidence_verify(process=process)
    assert report.ok and problem is None

    # Public: a comment's text once approved; the staff variant keeps every text.
    public = {o["id"]: o["text"] for o in question_part(question)["options"]}
    staff = {o["id"]: o["text"] for o in question_part(question, staff=True)["options"]}
    published = {t["text"] for t in texts_part(process)}
    for cid, option in statements.items():
        approved = theirs[cid]["moderated"] == "1"
        assert (option.moderation == "approved") == approved
        assert public[option.pk] == (option.text if approved else None)
        assert staff[option.pk] == option.text
        if len(option.text) >= 20:
            assert (option.text in published) == approved
    assert None in public.values()  # 23 moderated out and one waiting


def test_an_imported_comment_is_erased_like_a_participants_statement():
    """An erasure request (or the retention purge) erases an imported comment's text row
    and logs it; the log and the rows still verify."""
    from sessions_app.binding import evidence_verify
    from sessions_app.models import TextContent
    from sessions_app.services import texts

    process = imported("15-per-hour-seattle")
    option = Option.objects.filter(question__session__process=process).first()
    text = TextContent.objects.get(option=option)
    erased = texts.erase(
        process=process, commitments=[text.commitment], reason="request", actor="system"
    )
    assert erased == [text.commitment]
    text.refresh_from_db()
    assert text.text == "" and text.salt == "" and text.erased_reason == "request"
    assert LogEntry.objects.filter(process=process, action="content.erased").exists()
    report, problem = evidence_verify(process=process)
    assert report.ok and problem is None


def test_an_erased_imported_comment_leaves_no_copy_on_its_statement():
    from sessions_app.models import TextContent
    from sessions_app.services import texts

    process = imported("15-per-hour-seattle")
    option = Option.objects.filter(question__session__process=process).first()
    text = TextContent.objects.get(option=option)
    texts.erase(process=process, commitments=[text.commitment], reason="request", actor="system")
    option.refresh_from_db()
    assert option.text == ""
