"""The transparency log: a hash chain anyone can recompute, and tampering is found."""

import hashlib
import json
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction

from sessions_app import selectors
from sessions_app.exceptions import RecordImmutable
from sessions_app.logchain import GENESIS_HASH, canonical_json, format_time
from sessions_app.models import LogEntry, Process
from sessions_app.services.log import log_append


def test_hash_is_sha256_of_canonical_json_with_previous_hash(db, process):
    first, second = LogEntry.objects.filter(process=process).order_by("seq")[:2]
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    payload = {
        "v": 1,
        "process": process.slug,
        "seq": second.seq,
        "at": format_time(second.created_at),
        "actor": second.actor,
        "action": second.action,
        "data": second.data,
        "prev": second.prev_hash,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(text.encode()).hexdigest() == second.hash
    assert canonical_json({"b": "é", "a": 1}) == '{"a":1,"b":"é"}'.encode()


def test_verify_passes_on_an_untouched_log(db, process, make_question):
    make_question("scale")
    report = selectors.log_verify(process=process)
    assert report.ok
    assert report.count == LogEntry.objects.filter(process=process).count() == process.log_seq
    assert report.head == LogEntry.objects.filter(process=process).last().hash


def raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def drop_update_guard():
    """What someone with database administrator rights can do: remove the trigger that
    refuses UPDATE on the log (undone when the test's transaction rolls back)."""
    table = "sessions_app_logentry"
    if connection.vendor == "sqlite":
        raw(f"DROP TRIGGER {table}_append_only", [])
    else:
        raw("SET CONSTRAINTS ALL IMMEDIATE", [])  # ALTER TABLE waits for no deferred checks
        raw(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only", [])


def test_the_database_refuses_to_update_log_rows(db, process):
    entry = LogEntry.objects.filter(process=process).first()
    with pytest.raises(DatabaseError), transaction.atomic():
        raw("UPDATE sessions_app_logentry SET actor = %s WHERE id = %s", ["mallory", entry.pk])
    assert LogEntry.objects.get(pk=entry.pk).actor == entry.actor


def test_django_internal_managers_refuse_too(db, process):
    entry = LogEntry.objects.filter(process=process).first()
    with pytest.raises(RecordImmutable):
        LogEntry._base_manager.filter(pk=entry.pk).update(actor="mallory")
    forged = LogEntry(
        process=process,
        seq=entry.seq,
        created_at=entry.created_at,
        actor="mallory",
        action=entry.action,
        data={},
        prev_hash=entry.prev_hash,
        hash=entry.hash,
    )
    with pytest.raises(RecordImmutable):
        LogEntry.objects.bulk_create(
            [forged], update_conflicts=True, unique_fields=["hash"], update_fields=["actor"]
        )
    assert LogEntry.objects.get(pk=entry.pk).actor == entry.actor


def test_editing_a_stored_row_breaks_verification_at_that_row(db, process, make_question):
    make_question("ranking")
    target = LogEntry.objects.get(process=process, seq=2)
    drop_update_guard()
    raw(
        "UPDATE sessions_app_logentry SET data = %s WHERE id = %s",
        [json.dumps({"user": "mallory", "role": "organiser"}), target.pk],
    )
    report = selectors.log_verify(process=process)
    assert not report.ok
    assert (report.broken_seq, report.broken_id, report.reason) == (2, target.pk, "hash_mismatch")


def test_deleting_a_row_breaks_verification_at_the_gap(db, process, make_question):
    make_question("ranking")
    target = LogEntry.objects.get(process=process, seq=2)
    raw("DELETE FROM sessions_app_logentry WHERE id = %s", [target.pk])
    report = selectors.log_verify(process=process)
    assert (report.ok, report.broken_seq, report.reason) == (False, 3, "seq_gap")


def test_rehashing_an_edited_row_still_breaks_the_next_one(db, process, make_question):
    make_question("ranking")
    target = LogEntry.objects.get(process=process, seq=2)
    drop_update_guard()
    raw("UPDATE sessions_app_logentry SET hash = %s WHERE id = %s", ["a" * 64, target.pk])
    report = selectors.log_verify(process=process)
    assert (report.broken_seq, report.reason) == (2, "hash_mismatch")


def test_cutting_off_the_end_is_noticed(db, process, make_question):
    make_question("ranking")
    last = LogEntry.objects.filter(process=process).last()
    raw("DELETE FROM sessions_app_logentry WHERE id = %s", [last.pk])
    report = selectors.log_verify(process=process)
    assert (report.ok, report.broken_seq, report.reason) == (False, last.seq, "head_mismatch")


def test_verify_log_command(db, process, make_process, capsys, settings):
    settings.LANGUAGE_CODE = "en"
    other = make_process(title="Begroting")
    call_command("verify_log", process.slug)
    # One process: in its language (Dutch here).
    assert capsys.readouterr().out.startswith(f"OK {process.slug}: 2 regels, laatste schakel ")
    english = make_process(title="Budget", language="en")
    call_command("verify_log", english.slug)
    assert capsys.readouterr().out.startswith(f"OK {english.slug}: 2 entries, head ")
    target = LogEntry.objects.get(process=other, seq=1)
    drop_update_guard()
    raw("UPDATE sessions_app_logentry SET actor = %s WHERE id = %s", ["system", target.pk])
    with pytest.raises(CommandError):
        call_command("verify_log")
    captured = capsys.readouterr()
    assert f"OK {process.slug}" in captured.out
    assert f"BROKEN {other.slug}: entry 1 (row id {target.pk})" in captured.err
    with pytest.raises(CommandError, match="No process"):
        call_command("verify_log", "does-not-exist")


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_get_consecutive_entries(organiser):
    from sessions_app.services.processes import process_create
    from tests.conftest import full_process_spec

    process = process_create(user=organiser, spec=full_process_spec())
    errors = []

    def writer(n):
        try:
            for i in range(10):
                log_append(
                    process=Process.objects.get(pk=process.pk),
                    action="test.write",
                    actor="system",
                    data={"w": n, "i": i},
                )
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    seqs = list(LogEntry.objects.filter(process=process).values_list("seq", flat=True))
    assert seqs == list(range(1, 43))
    assert selectors.log_verify(process=process).ok


def test_replacing_the_last_entry_with_a_rehashed_one_is_noticed(db, process):
    from sessions_app.logchain import entry_hash

    last = LogEntry.objects.filter(process=process).last()
    forged_data = {"user": "mallory", "role": "organiser"}
    forged_hash = entry_hash(
        process=process.slug,
        seq=last.seq,
        at=format_time(last.created_at),
        actor=last.actor,
        action=last.action,
        data=forged_data,
        prev=last.prev_hash,
    )
    drop_update_guard()
    raw(
        "UPDATE sessions_app_logentry SET data = %s, hash = %s WHERE id = %s",
        [json.dumps(forged_data), forged_hash, last.pk],
    )
    report = selectors.log_verify(process=process)
    assert (report.ok, report.broken_seq, report.reason) == (False, last.seq, "head_mismatch")


@pytest.mark.parametrize(
    ("actor", "data"),
    [
        ("staff:olga", {"b": [1, None, True], "a": {"z": "é", "y": -2.5}}),
        ('staff:"quoted"\\slash', {"text": "regel\nnieuw\t\u0007 ☃ 😀"}),
        ("participant:p-0a1b2c3d4e", {}),
    ],
)
def test_the_stored_text_hashes_as_the_whole_entry_would(actor, data):
    """The log serialises an entry's data once and puts the hashed text together around
    it: the same bytes as the canonical form of the whole entry."""
    from sessions_app.logchain import canonical_text, entry_hash, entry_hash_of_text

    fields = {
        "process": "herinrichting-stationsplein",
        "seq": 12,
        "at": "2026-12-03T19:30:00.000000Z",
        "actor": actor,
        "action": "response.counted",
        "prev": "ab" * 32,
    }
    assert entry_hash_of_text(**fields, data_text=canonical_text(data)) == entry_hash(
        **fields, data=data
    )
