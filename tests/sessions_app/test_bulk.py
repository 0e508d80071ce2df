"""``insert_rows``: plain rows in one statement, read back exactly as the ORM writes them."""

from datetime import UTC, datetime
from unittest import mock

import pytest

from sessions_app import bulk
from sessions_app.bulk import insert_rows
from sessions_app.models import LogEntry, Response, ResponseItem, ResponseStatus, Source
from sessions_app.services import participation

pytestmark = pytest.mark.django_db


@pytest.fixture
def question_and_phones(live_session, make_question):
    question = make_question("single_choice")
    phones = [participation.participant_join(session=live_session, via="room") for _ in range(7)]
    return question, phones


def test_rows_get_their_keys_in_order_and_defaults_for_what_they_leave_out(question_and_phones):
    question, phones = question_and_phones
    at = datetime(2026, 11, 28, 19, 30, tzinfo=UTC)
    rows = [
        {
            "question_id": question.pk,
            "participant_id": phone.pk,
            "source": Source.ONLINE,
            "client_id": f"client-{n:04d}",
            "created_at": at,
        }
        for n, phone in enumerate(phones)
    ]
    pks = insert_rows(Response, rows)
    assert len(pks) == len(set(pks)) == 7
    stored = {r.pk: r for r in Response.objects.filter(pk__in=pks)}
    for pk, row, phone in zip(pks, rows, phones, strict=True):
        response = stored[pk]
        assert response.client_id == row["client_id"]
        assert response.participant_id == phone.pk
        # Left out: the model's defaults, exactly as Django would have stored them.
        assert response.status == ResponseStatus.COUNTED
        assert response.text == "" and response.number is None and response.statement_id is None
        assert response.created_at == at
    option = question.options.first()
    item_pks = insert_rows(
        ResponseItem, [{"response_id": pk, "option_id": option.pk} for pk in pks]
    )
    assert list(
        ResponseItem.objects.filter(pk__in=item_pks)
        .order_by("pk")
        .values_list("response_id", "value")
    ) == [(pk, 1) for pk in pks]


def test_json_and_many_statements(process):
    # A tiny parameter limit forces one statement per two rows; order and values survive.
    rows = [
        {
            "process_id": process.pk,
            "seq": 1000 + n,
            "created_at": datetime(2026, 11, 28, tzinfo=UTC),
            "actor": "system",
            "action": "test.bulk",
            "data": {"n": n, "text": "één", "list": [1, None]},
            "prev_hash": "0" * 64,
            "hash": f"{n:064x}",
        }
        for n in range(5)
    ]
    with mock.patch.object(bulk, "_max_params", return_value=2 * 8):
        pks = insert_rows(LogEntry, rows)
    entries = LogEntry.objects.in_bulk(pks)
    assert [entries[pk].seq for pk in pks] == [1000, 1001, 1002, 1003, 1004]
    assert entries[pks[3]].data == {"n": 3, "text": "één", "list": [1, None]}


def test_an_unknown_field_is_refused_before_anything_is_written(process):
    with pytest.raises(ValueError, match="no field"):
        insert_rows(LogEntry, [{"process_id": process.pk, "colour": "red"}])
    assert not LogEntry.objects.filter(action="test.bulk").exists()
    assert insert_rows(LogEntry, []) == []


def test_rows_are_read_and_updated_by_key_and_locked_where_the_database_can(process):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from sessions_app.bulk import instances_by_pk, select_by_pk, update_by_pk
    from sessions_app.models import Process

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        [(pk, seq, head)] = select_by_pk(Process, [process.pk], ("log_seq", "log_head"), lock=True)
        assert (pk, seq, head) == (process.pk, process.log_seq, process.log_head)
        assert update_by_pk(Process, process.pk, {"log_seq": seq}) == 1
        [again] = instances_by_pk(Process, [process.pk], lock=True)
    assert again.slug == process.slug and again.title == process.title
    locks = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    if connection.features.has_select_for_no_key_update:
        assert all(sql.endswith("FOR NO KEY UPDATE") for sql in locks)
    else:
        assert not any("FOR " in sql for sql in locks)
    assert select_by_pk(Process, [], ("slug",)) == [] and instances_by_pk(Process, []) == []
    assert select_by_pk(Process, [process.pk + 1000], ("slug",)) == []


def test_grouped_rows_come_back_as_one_row_with_the_values_the_orm_reads(
    live_session, make_question
):
    """``rows_at_once``: the rows of a grouped count, as the ORM gives them (text, numbers,
    None), but fetched in one database row and one query."""
    from django.db import connection
    from django.db.models import Count, F
    from django.test.utils import CaptureQueriesContext

    from sessions_app.bulk import rows_at_once

    question = make_question("statements")
    statements = list(question.options.all())
    room = [participation.participant_join(session=live_session, via="room") for _ in range(3)]
    remote = participation.participant_join(session=live_session, via="remote")
    rows = [
        {
            "question_id": question.pk,
            "participant_id": phone.pk,
            "statement_id": statement.pk,
            "source": Source.ONLINE,
            "number": vote,
            "created_at": datetime(2026, 12, 5, 19, 30, tzinfo=UTC),
        }
        for phone, vote in ((room[0], 1), (room[1], 1), (room[2], -1), (remote, 0))
        for statement in statements[:2]
    ]
    insert_rows(Response, rows)
    grouped = (
        Response.objects.filter(question=question)
        .values("source", "participant__joined_via", "card", root=F("statement_id"))
        .annotate(n=Count("id"))
    )
    expected = sorted(
        grouped.values_list("source", "participant__joined_via", "root", "n"),
        key=repr,
    )
    with CaptureQueriesContext(connection) as queries:
        found = rows_at_once(grouped)
    assert len(queries.captured_queries) == 1
    assert "json" in queries.captured_queries[0]["sql"].lower()
    assert sorted([(a, b, d, e) for a, b, _card, d, e in found], key=repr) == expected
    # Text, None (no attendee card) and numbers come back as they are.
    assert ("online", "remote", None, statements[0].pk, 1) in found
    assert ("online", "room", None, statements[1].pk, 3) in found
    assert len(found) == 4
    assert rows_at_once(grouped.filter(number=7)) == []
    assert rows_at_once(grouped.filter(statement_id__in=[])) == []
