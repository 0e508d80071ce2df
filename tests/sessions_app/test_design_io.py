"""Design files: import, export, the round trip, and every kind of bad file."""

import copy
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from sessions_app.design import process_to_dict
from sessions_app.exceptions import DesignError
from sessions_app.management.commands.seed_demo import demo_design
from sessions_app.models import LiveSession, LogEntry, Option, Process, Question
from sessions_app.services.design_io import load_design_file, process_import

pytestmark = pytest.mark.django_db


@pytest.fixture
def design():
    return demo_design(timezone.localdate())


def test_import_creates_everything_and_logs_it(design, organiser):
    process = process_import(user=organiser, data=design)
    assert process.title == design["title"] and process.level == "advise"
    assert process.entry_mode == "double"
    assert list(process.milestones.values_list("label", flat=True)) == [
        m["label"] for m in design["timeline"]
    ]
    session = process.sessions.get()
    assert session.venue == "Wijkcentrum De Brug, Kerkstraat 12"
    kinds = list(session.questions.values_list("kind", flat=True))
    assert kinds == [
        "single_choice",
        "multiple_choice",
        "scale",
        "ranking",
        "budget",
        "open_text",
        "statements",
        "qna",
    ]
    assert [m.name for m in session.questions.get(kind="qna").panel.all()] == [
        m["name"] for m in design["panel"]
    ]
    statements = session.questions.get(kind="statements")
    assert statements.level == "consult" and statements.participants_may_add
    assert statements.options.count() == 8
    logged = list(LogEntry.objects.filter(process=process).values_list("action", flat=True))
    assert logged[:4] == ["process.created", "staff.granted", "process.imported", "session.created"]
    assert logged.count("question.created") == 8


def test_round_trip_preserves_everything(design, organiser):
    exported = process_to_dict(process_import(user=organiser, data=design))
    assert exported == design
    again = process_to_dict(process_import(user=organiser, data=exported))
    assert again == exported


def test_a_session_evaluation_travels_in_the_design_and_comes_back(design, organiser):
    """A process with the evaluation set exports its questions marked ``evaluation`` and
    that file imports again as it was (it was once refused: ``not_for_kind``)."""
    from sessions_app.services.evaluation import evaluation_add

    process = process_import(user=organiser, data=design)
    session = process.sessions.get()
    evaluation_add(user=organiser, session=session)
    exported = process_to_dict(process)
    marked = [q for q in exported["sessions"][0]["questions"] if q.get("evaluation")]
    assert len(marked) == session.questions.filter(evaluation=True).count() >= 4
    again = process_import(user=organiser, data=exported)
    assert again.sessions.get().questions.filter(evaluation=True).count() == len(marked)
    assert process_to_dict(again) == exported


def test_import_trims_surrounding_spaces_as_the_forms_do(design, organiser):
    padded = copy.deepcopy(design)
    padded["title"] = "  " + design["title"] + "\n"
    padded["purpose"] = design["purpose"] + "   "
    padded["decision_maker"] = " " + design["decision_maker"]
    padded["timeline"][0]["label"] = design["timeline"][0]["label"] + "  "
    padded["sessions"][0]["title"] = "\t" + design["sessions"][0]["title"]
    padded["sessions"][0]["venue"] = design["sessions"][0]["venue"] + " "
    exported = process_to_dict(process_import(user=organiser, data=padded))
    assert exported == design


def test_a_process_own_retention_travels_in_the_design(design, organiser):
    design = {**design, "retention": {"photos_days": 14, "texts_months": None}}
    process = process_import(user=organiser, data=design)
    assert (process.retention_photos_days, process.retention_texts_months) == (14, None)
    assert process_to_dict(process)["retention"] == {"photos_days": 14, "texts_months": None}
    with pytest.raises(DesignError):
        process_import(user=organiser, data={**design, "retention": {"photos_days": -1}})


def test_round_trip_through_the_commands(design, tmp_path, capsys, organiser):
    source = tmp_path / "in.json"
    source.write_text(json.dumps(design), encoding="utf-8")
    call_command("import_process", str(source), "--organiser", organiser.username)
    slug = capsys.readouterr().out.strip()
    assert Process.objects.get(slug=slug).staff_roles.get().user == organiser
    target = tmp_path / "out.json"
    call_command("export_process", slug, "-o", str(target))
    assert json.loads(target.read_text(encoding="utf-8")) == design


def test_export_writes_to_stdout(design, organiser, capsys):
    process = process_import(user=organiser, data=design)
    call_command("export_process", process.slug)
    assert (
        json.loads(capsys.readouterr().out)["sessions"][0]["title"] == "Bewonersavond Stationsplein"
    )


def q(design, index):
    return design["sessions"][0]["questions"][index]


BAD_FILES = {
    "wrong format": (
        lambda d: d.update(format="inspraak.process/9"),
        ["format: must be “inspraak.process/1”"],
    ),
    "no title": (lambda d: d.pop("title"), ["title: is required"]),
    "unknown field": (
        lambda d: d["sessions"][0].update(venu="x"),
        ["sessions[0].venu: is not a field of this format"],
    ),
    "unknown kind": (
        lambda d: q(d, 0).update(kind="poll"),
        [
            "sessions[0].questions[0].kind: must be one of: single_choice, multiple_choice, "
            "scale, ranking, budget, open_text, statements, qna"
        ],
    ),
    "unknown level": (
        lambda d: d.update(level="decide"),
        ["level: must be one of: inform, consult, advise, co-produce, co-decide"],
    ),
    "ranking with one option": (
        lambda d: q(d, 3).update(options=["Verkeersveiligheid"]),
        ["sessions[0].questions[3].options: a ranking needs at least 2 options"],
    ),
    "scale min not below max": (
        lambda d: q(d, 2).update(min=5, max=5),
        ["sessions[0].questions[2].max: the lowest value must be below the highest value"],
    ),
    "too many choices": (
        lambda d: q(d, 1).update(max_choices=6),
        [
            "sessions[0].questions[1].max_choices: the maximum number of choices (6) is more "
            "than the number of options (5)"
        ],
    ),
    "budget total zero": (
        lambda d: q(d, 4).update(total=0),
        ["sessions[0].questions[4].total: must be at least 1"],
    ),
    "missing setting of its kind": (
        lambda d: q(d, 1).pop("max_choices"),
        ["sessions[0].questions[1].max_choices: is required"],
    ),
    "setting of another kind": (
        lambda d: q(d, 0).update(max_choices=1),
        [
            "sessions[0].questions[0].max_choices: does not apply to a question of kind single_choice"
        ],
    ),
    "wrong type": (
        lambda d: q(d, 2).update(min="1"),
        ["sessions[0].questions[2].min: must be a whole number"],
    ),
    "empty option": (
        lambda d: q(d, 0)["options"].append(""),
        ["sessions[0].questions[0].options[4]: must not be empty"],
    ),
    "duplicate option": (
        lambda d: q(d, 0)["options"].append("Ruimte voor markt en evenementen"),
        ["sessions[0].questions[0].options[4]: “Ruimte voor markt en evenementen” appears twice"],
    ),
    "bad date": (
        lambda d: d["timeline"][0].update(date="15-01-2027"),
        ["timeline[0].date: must be a date like 2027-03-01"],
    ),
    "bad start": (
        lambda d: d["sessions"][0].update(starts_at="tomorrow evening"),
        ["sessions[0].starts_at: must be a date and time like 2027-01-15T19:30:00+01:00"],
    ),
    "ends before start": (
        lambda d: d["sessions"][0].update(ends_at=d["sessions"][0]["starts_at"]),
        ["sessions[0].ends_at: must be after the start"],
    ),
    "several problems at once": (
        lambda d: (
            q(d, 3).update(options=["Een"]),
            q(d, 2).update(min=9),
            q(d, 0).update(kind="poll"),
            d["sessions"][0].update(mode="zoom"),
        ),
        [
            "sessions[0].mode: must be one of: in_room, hybrid, online",
            "sessions[0].questions[0].kind: must be one of: single_choice, multiple_choice, "
            "scale, ranking, budget, open_text, statements, qna",
            "sessions[0].questions[2].max: the lowest value must be below the highest value",
            "sessions[0].questions[3].options: a ranking needs at least 2 options",
        ],
    ),
    "empty timeline label": (
        lambda d: d["timeline"][0].update(label=" "),
        ["timeline[0].label: is required"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_is_refused_with_paths_and_creates_nothing(case, design, organiser):
    mutate, expected = BAD_FILES[case]
    data = copy.deepcopy(design)
    mutate(data)
    with pytest.raises(DesignError) as caught:
        process_import(user=organiser, data=data)
    assert caught.value.code == "import_invalid"
    assert [str(p) for p in caught.value.problems] == expected
    assert not Process.objects.exists()
    assert not LogEntry.objects.exists() and not Question.objects.exists()


def test_not_json_names_line_and_column():
    with pytest.raises(DesignError) as caught:
        load_design_file(b'{\n  "title": "x",\n  oops\n}')
    assert [str(p) for p in caught.value.problems] == [
        "the file is not valid JSON (line 3, column 3)"
    ]


def test_not_an_object_at_all(organiser):
    with pytest.raises(DesignError) as caught:
        process_import(user=organiser, data=["a list"])
    assert [str(p) for p in caught.value.problems] == ["must be an object"]


def test_import_command_reports_each_problem_on_its_own_line(design, tmp_path, capsys, organiser):
    q(design, 3)["options"] = ["Een"]
    design["level"] = "decide"
    design["timeline"][1]["label"] = "   "
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(design), encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was created"):
        call_command("import_process", str(path), "--organiser", organiser.username)
    lines = capsys.readouterr().err.strip().splitlines()
    # Structure and design rules in one pass, in file order.
    assert lines == [
        f"{path}: level: must be one of: inform, consult, advise, co-produce, co-decide",
        f"{path}: sessions[0].questions[3].options: a ranking needs at least 2 options",
        f"{path}: timeline[1].label: is required",
    ]
    assert not Process.objects.exists() and not LiveSession.objects.exists()
    assert not Option.objects.exists()


def test_import_command_needs_an_existing_organiser(design, tmp_path):
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(design), encoding="utf-8")
    with pytest.raises(CommandError, match="--organiser"):
        call_command("import_process", str(path))
    with pytest.raises(CommandError, match="No staff account"):
        call_command("import_process", str(path), "--organiser", "nobody")
    assert not Process.objects.exists()


def test_a_timeline_out_of_date_order_keeps_its_order(design, organiser):
    design["timeline"].reverse()
    assert (
        process_to_dict(process_import(user=organiser, data=design))["timeline"]
        == design["timeline"]
    )


def test_import_command_refuses_a_missing_file(tmp_path, organiser):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command(
            "import_process", str(tmp_path / "missing.json"), "--organiser", organiser.username
        )


def test_documented_example_imports(organiser):
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "stationsplein.json"
    data = load_design_file(example.read_bytes())
    assert process_to_dict(process_import(user=organiser, data=data)) == data


def test_a_budget_unit_travels_in_the_design_and_is_bounded(design, organiser):
    budget = next(q for q in design["sessions"][0]["questions"] if q["kind"] == "budget")
    budget["unit"] = "euro"
    process = process_import(user=organiser, data=design)
    assert Question.objects.get(session__process=process, kind="budget").budget_unit == "euro"
    assert process_to_dict(process) == design
    budget["unit"] = "x" * 21
    with pytest.raises(DesignError) as refused:
        process_import(user=organiser, data=design)
    assert any(p.path.endswith(".unit") for p in refused.value.problems)


def test_the_most_proposals_is_a_bounded_moderation_setting(design, organiser):
    """``max_proposals`` travels in the design; 0 or more than 10,000 is refused with
    its field named, and nothing is created."""
    process = process_import(user=organiser, data=design)
    statements = process.sessions.get().questions.get(kind="statements")
    assert statements.max_proposals == 60
    for wrong in (0, 10_001):
        broken = copy.deepcopy(design)
        question = next(q for q in broken["sessions"][0]["questions"] if q["kind"] == "statements")
        question["max_proposals"] = wrong
        before = Process.objects.count()
        with pytest.raises(DesignError) as refused:
            process_import(user=organiser, data=broken)
        assert "max_proposals" in str([p.path for p in refused.value.problems])
        assert Process.objects.count() == before


def test_panel_names_are_compared_trimmed(design, organiser):
    """The panel is kept trimmed, so a name with surrounding spaces on the panel or in a
    question's reference is the same name."""
    padded = copy.deepcopy(design)
    qna = next(q for q in padded["sessions"][0]["questions"] if q["kind"] == "qna")
    padded["panel"][0]["name"] = " " + design["panel"][0]["name"] + " "
    qna["panel"] = [" " + name + "  " for name in qna["panel"]]
    exported = process_to_dict(process_import(user=organiser, data=padded))
    assert exported == design


def test_an_unknown_panel_name_is_refused_at_the_question_reference(design, organiser):
    data = copy.deepcopy(design)
    number, qna = next(
        (n, q) for n, q in enumerate(data["sessions"][0]["questions"]) if q["kind"] == "qna"
    )
    qna["panel"] = [*qna["panel"], " Niemand "]
    with pytest.raises(DesignError) as caught:
        process_import(user=organiser, data=data)
    [problem] = caught.value.problems
    assert problem.code == "unknown_panel_member"
    assert problem.path == f"sessions[0].questions[{number}].panel[{len(qna['panel']) - 1}]"
    assert not Process.objects.exists()


@pytest.mark.parametrize(
    "written",
    [
        "2027-01-14T18:30:00Z",
        "2027-01-14T19:30:00",
        "2027-01-14T19:30",
        "2027-01-14 19:30:00+01:00",
        "2027-01-14T19:30:00+0100",
    ],
)
def test_a_time_comes_back_as_the_same_instant_in_the_process_time_zone(written, design, organiser):
    """The schema admits a time with or without its offset, as the import reads it; the
    export writes it in the process's time zone with its offset."""
    data = copy.deepcopy(design)
    data["sessions"][0]["starts_at"] = written
    data["sessions"][0].pop("ends_at", None)
    exported = process_to_dict(process_import(user=organiser, data=data))
    assert exported["sessions"][0]["starts_at"] == "2027-01-14T19:30:00+01:00"


def test_the_schema_refuses_a_time_that_is_not_one(design, organiser):
    data = copy.deepcopy(design)
    data["sessions"][0]["starts_at"] = "2027-01-14"
    with pytest.raises(DesignError) as caught:
        process_import(user=organiser, data=data)
    assert [str(p) for p in caught.value.problems] == [
        "sessions[0].starts_at: must be a date and time like 2027-01-15T19:30:00+01:00"
    ]
