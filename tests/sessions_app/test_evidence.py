"""Evidence that binds every counted row: ``verify_log`` names a row edited directly in the
database (the chain itself untouched), and free text can be erased while the chain and
the rows still verify."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from sessions_app import binding, merkle
from sessions_app.identifiers import sheet_receipt
from sessions_app.logchain import text_commitment
from sessions_app.models import (
    HandCount,
    LogEntry,
    Moderation,
    Option,
    Process,
    Response,
    ResponseItem,
    ResponseStatus,
    SheetEntry,
    TextContent,
)
from sessions_app.services import participation, texts
from sessions_app.services.paper import sheet_entry_record
from tests.paper_fixtures import option
from tests.sessions_app.test_open_data import _answer, _phone, town_hall  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall(town_hall, printed, organiser):  # noqa: F811 (the fixture imported above)
    """The open-data town hall, plus a paper sheet with written text and a proposal and a
    phone's proposed statement. ``verify_log`` speaks the process's language: English
    here (the language is no evidence)."""
    session, q = town_hall
    Process.objects.filter(pk=session.process_id).update(language="en")
    sheet = printed(1)[0]
    sheet_entry_record(
        user=organiser,
        sheet=sheet,
        client_id="entry-evidence",
        answers={
            str(q["choice"].pk): {"option": option(q["choice"], 1)},
            str(q["text"].pk): {"text": "Ik woon naast het plein, Jan de Vries"},
            str(q["statements"].pk): {
                "votes": {str(option(q["statements"], 0)): "pass"},
                "proposal": "Een speeltuin bij de fontein.",
            },
        },
    )
    phone = _phone(session, "room")
    participation.statement_propose(
        participant=phone,
        question_id=q["statements"].pk,
        text="Minder parkeren.",
        client_id="propose-evidence",
    )
    return session, q


def verify(slug: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_log", slug, stdout=out, stderr=err)
    except CommandError:
        return "BROKEN " + err.getvalue()
    return out.getvalue()


def raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_an_untouched_town_hall_verifies_row_by_row(hall, process):
    assert binding.rows_verify(process=process) is None
    assert verify(process.slug).startswith(f"OK {process.slug}")
    # Every kind of row the results are counted from was checked.
    assert Response.objects.filter(source="paper").exists()
    assert HandCount.objects.exists() and SheetEntry.objects.exists()
    assert TextContent.objects.filter(field="proposal").exists()


def _counted(question, **filters):
    return Response.objects.filter(question=question, status=ResponseStatus.COUNTED, **filters)


def edit_choice(q):
    item = ResponseItem.objects.filter(response__in=_counted(q["choice"], source="online")).first()
    raw(
        "UPDATE sessions_app_responseitem SET option_id = %s WHERE id = %s",
        [
            option(q["choice"], 2)
            if item.option_id != option(q["choice"], 2)
            else option(q["choice"], 0),
            item.pk,
        ],
    )
    return "answer", item.response_id, "items"


def edit_item_value(q):
    item = ResponseItem.objects.filter(response__question=q["budget"]).first()
    raw("UPDATE sessions_app_responseitem SET value = value + 1 WHERE id = %s", [item.pk])
    return "answer", item.response_id, "items"


def edit_scale(q):
    response = _counted(q["scale"], source="online").first()
    raw("UPDATE sessions_app_response SET number = 1 WHERE id = %s", [response.pk])
    return "answer", response.pk, "number"


def edit_status(q):
    earlier = Response.objects.get(question=q["choice"], status=ResponseStatus.SUPERSEDED)
    later = Response.objects.get(supersedes=earlier)
    raw("UPDATE sessions_app_response SET status = 'voided' WHERE id = %s", [later.pk])
    raw("UPDATE sessions_app_response SET status = 'counted' WHERE id = %s", [earlier.pk])
    return "answer", earlier.pk, "status"


def edit_text(q):
    response = _counted(q["text"], moderation=Moderation.APPROVED).first()
    raw("UPDATE sessions_app_response SET text = 'Iets anders' WHERE id = %s", [response.pk])
    return "answer", response.pk, "text"


def edit_moderation(q):
    response = _counted(q["text"], moderation=Moderation.HIDDEN).first()
    raw("UPDATE sessions_app_response SET moderation = 'approved' WHERE id = %s", [response.pk])
    return "answer", response.pk, "moderation"


def edit_paper_entry(q):
    entry = SheetEntry.objects.order_by("id").first()
    raw(
        "UPDATE sessions_app_sheetentry SET answers = %s WHERE id = %s",
        [json.dumps({str(q["scale"].pk): {"value": 1}}), entry.pk],
    )
    return "paper entry", entry.pk, "answers"


def edit_paper_response(q):
    response = _counted(q["scale"], source="paper").first()
    raw("UPDATE sessions_app_response SET number = 5 WHERE id = %s", [response.pk])
    return "answer", response.pk, "number"


def edit_hands(q):
    hands = HandCount.objects.order_by("id").first()
    if connection.vendor == "sqlite":
        raw("DROP TRIGGER sessions_app_handcount_append_only")
    else:
        raw("SET CONSTRAINTS ALL IMMEDIATE")
        raw("ALTER TABLE sessions_app_handcount DISABLE TRIGGER sessions_app_handcount_append_only")
    raw("UPDATE sessions_app_handcount SET count = count + 10 WHERE id = %s", [hands.pk])
    return "hand count", hands.pk, "count"


def edit_statement(q):
    proposal = Option.objects.get(text="Minder parkeren.")
    raw("UPDATE sessions_app_option SET moderation = 'approved' WHERE id = %s", [proposal.pk])
    return "statement", proposal.pk, "moderation"


def edit_kept_text(q):
    """Text and its copy changed together: the commitment gives it away."""
    kept = TextContent.objects.get(text="Meer bankjes in de schaduw")
    raw("UPDATE sessions_app_textcontent SET text = 'Minder bankjes' WHERE id = %s", [kept.pk])
    raw(
        "UPDATE sessions_app_response SET text = 'Minder bankjes' WHERE id = %s", [kept.response_id]
    )
    return "text", kept.commitment, "match the log's commitment"


def drop_row(q):
    response = _counted(q["scale"], source="online").last()
    raw("DELETE FROM sessions_app_response WHERE id = %s", [response.pk])
    return "answer", response.pk, "not there"


@pytest.mark.parametrize(
    "edit",
    [
        edit_choice,
        edit_item_value,
        edit_scale,
        edit_status,
        edit_text,
        edit_moderation,
        edit_paper_entry,
        edit_paper_response,
        edit_hands,
        edit_statement,
        edit_kept_text,
        drop_row,
    ],
)
def test_a_row_edited_in_the_database_is_named(hall, process, edit):
    _session, q = hall
    assert binding.rows_verify(process=process) is None
    what, row_id, detail = edit(q)
    out = verify(process.slug)
    assert out.startswith("BROKEN")
    assert f"{what} {row_id}" in out and detail in out
    assert "log entry" in out  # the entry that vouches for the row is named
    # The chain itself is untouched: only the rows give it away.
    process.refresh_from_db()
    assert LogEntry.objects.filter(process=process).count() == process.log_seq


def test_the_log_holds_commitments_never_the_text(hall, process):
    logged = str(list(LogEntry.objects.filter(process=process).values_list("data", flat=True)))
    for text in ("Meer bankjes", "Jan de Vries", "speeltuin", "Minder parkeren", "formule"):
        assert text not in logged
    for kept in TextContent.objects.all():
        assert text_commitment(kept.salt, kept.text) == kept.commitment
        assert kept.commitment in logged


def test_erasure_forgets_the_text_and_the_chain_still_verifies(hall, process, organiser):
    _session, q = hall
    paper_text = TextContent.objects.get(text__contains="Jan de Vries")
    hidden = Response.objects.get(question=q["text"], moderation=Moderation.HIDDEN)
    hidden_text = TextContent.objects.get(response=hidden, field="text")
    proposal = TextContent.objects.get(field="proposal")
    counts_before = list(
        Response.objects.order_by("id").values_list("id", "status", "number", "statement_id")
    )
    erased = texts.erase(
        process=process,
        commitments=[paper_text.commitment, hidden_text.commitment, proposal.commitment],
        reason="request",
        actor="system",
    )
    # The hidden answer's moderation reason speaks about it: erased with it.
    reason = TextContent.objects.get(response=hidden, field="reason")
    assert sorted(erased) == sorted(
        [paper_text.commitment, hidden_text.commitment, proposal.commitment, reason.commitment]
    )
    for kept in TextContent.objects.filter(commitment__in=erased):
        assert (kept.text, kept.salt, kept.erased_reason) == ("", "", "request")
    hidden.refresh_from_db()
    assert hidden.text == "" and hidden.moderation_reason == ""
    assert not Response.objects.filter(text__contains="Jan de Vries").exists()
    assert "Jan de Vries" not in str(list(SheetEntry.objects.values_list("answers", flat=True)))
    assert Option.objects.get(pk=proposal.option_id).text == ""
    entry = LogEntry.objects.filter(process=process).last()
    assert entry.action == "content.erased"
    assert entry.data == {"commitments": sorted(erased), "reason": "request"}
    # Counts are untouched, and the chain and every row still verify.
    assert counts_before == list(
        Response.objects.order_by("id").values_list("id", "status", "number", "statement_id")
    )
    assert verify(process.slug).startswith(f"OK {process.slug}")
    # Erasing again changes nothing and logs nothing.
    process.refresh_from_db()
    seq = process.log_seq
    assert texts.erase(process=process, commitments=erased, reason="request", actor="system") == []
    process.refresh_from_db()
    assert process.log_seq == seq


def test_erasure_without_its_log_entry_is_named(hall, process):
    kept = TextContent.objects.get(text="Meer bankjes in de schaduw")
    raw(
        "UPDATE sessions_app_textcontent SET text = '', salt = '', erased_at = %s, "
        "erased_reason = 'request' WHERE id = %s",
        [kept.created_at, kept.pk],
    )
    raw("UPDATE sessions_app_response SET text = '' WHERE id = %s", [kept.response_id])
    out = verify(process.slug)
    assert f"text {kept.commitment}" in out and "without a log entry" in out


def test_erasure_refuses_unknown_texts_and_reasons(hall, process):
    from sessions_app.exceptions import InputRejected

    kept = TextContent.objects.first()
    for commitments, reason, code in (
        (["0" * 64], "request", "unknown_text"),
        ([kept.commitment], "because", "invalid_reason"),
    ):
        process.refresh_from_db()
        seq = process.log_seq
        with pytest.raises(InputRejected) as caught:
            texts.erase(process=process, commitments=commitments, reason=reason, actor="system")
        assert caught.value.code == code
        kept.refresh_from_db()
        assert kept.text and process.log_seq == seq


def test_erase_text_by_receipt_and_the_signing_key_command(hall, process):
    _session, q = hall
    phone = _phone(_session, "remote")
    result = _answer(phone, q["text"], {"text": "Mijn naam is Kees"})
    out = io.StringIO()
    call_command("erase_text", process.slug, "--receipt", result.receipt, stdout=out)
    assert "Erased 1 text" in out.getvalue()
    assert Response.objects.get(pk=result.response_id).text == ""
    assert not TextContent.objects.filter(text__contains="Kees").exists()
    assert verify(process.slug).startswith(f"OK {process.slug}")
    with pytest.raises(CommandError):
        call_command("erase_text", process.slug, "--receipt", "ABCD-EFGH-JKLM-NPQR")
    # A paper form's receipt erases what was written on it, proposal included.
    written = TextContent.objects.get(text__contains="Jan de Vries", field="text")
    paper = next(
        e
        for e in LogEntry.objects.filter(process=process, action="paper.counted")
        if e.data["entry"] == written.entry_id
    )
    call_command("erase_text", process.slug, "--receipt", sheet_receipt(paper.data["sheet"]))
    assert not TextContent.objects.filter(text__contains="Jan de Vries").exists()
    assert not Option.objects.filter(text__contains="speeltuin").exists()
    assert verify(process.slug).startswith(f"OK {process.slug}")
    key, err = io.StringIO(), io.StringIO()
    call_command("signing_key", stdout=key, stderr=err)
    assert merkle.public_key_b64(key.getvalue().strip()) in err.getvalue()
