"""The council compares its outputs side by side, so a figure reads the same on each:
the public results page writes numbers as the council report (PDF) does, the open data
gives each numeric field one JSON type, the report and the workbook write the drop-off
with its sign, and the Atom feed names the question and the meeting of each item."""

import datetime
import json
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from decimal import Decimal
from itertools import count

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from openpyxl import load_workbook

from sessions_app.exports.report_text import statement_share
from sessions_app.models import LogEntry, Process
from sessions_app.numbers import number, percent, rounded, signed
from sessions_app.services import facilitation, qna
from sessions_app.services.followups import follow_up_record
from sessions_app.services.hands import hand_count_record
from sessions_app.services.participation import participant_join, response_submit
from sessions_app.services.processes import process_publish
from sessions_app.session_report import session_report
from tests.sessions_app.test_evening_outputs import report

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
REASONING = "De bankjes komen er, in het groen."
_ids = count(1)


def _options(question):
    return list(question.options.order_by("position").values_list("pk", flat=True))


@pytest.fixture
def council(process, live_session, make_question, organiser):
    """One evening, held and ended, whose figures need decimals: a choice (2 of 4: 50%),
    a scale answered four times (mean 3.75, median 4 from an even count) and one answered
    three times (median 4 from an odd count: an int from ``statistics.median``), a ranking
    (average places 1.5 and 2.25), a budget (averages 33.33 and 66.67) and statements (2
    of 3 agree: 66.7%). Respondents per question: 4, 4, 3, 4: the drop-off is 0, -1, +1.
    The choice's results are shown and followed up."""
    q = {
        "choice": make_question("single_choice", text="Welke kleur krijgen de bankjes?"),
        "scale": make_question("scale", text="Hoe tevreden bent u over het plein?"),
        "scale_odd": make_question("scale", text="Hoe veilig voelt het plein?"),
        "ranking": make_question("ranking", text="Wat moet er het eerst komen?"),
        "budget": make_question("budget", text="Hoe verdeelt u 100 punten?"),
        "statements": make_question("statements", text="Wat vindt u van deze stellingen?"),
    }
    process_publish(user=organiser, process=process)
    for question in q.values():
        facilitation.question_open(user=organiser, question=question)
    phones = [participant_join(session=live_session, via="room") for _ in range(4)]

    def answer(phone, question, value):
        response_submit(
            participant=phone,
            question_id=question.pk,
            answer=value,
            client_id=f"consistent-{next(_ids):06d}",
        )

    green, market, bikes = _options(q["choice"])
    for phone, chosen in zip(phones, (green, green, market, bikes), strict=True):
        answer(phone, q["choice"], {"option": chosen})
    for phone, value in zip(phones, (3, 4, 4, 4), strict=True):
        answer(phone, q["scale"], {"value": value})
    for phone, value in zip(phones, (2, 4, 5), strict=False):
        answer(phone, q["scale_odd"], {"value": value})
    first, second, third = _options(q["ranking"])
    for phone, order in zip(
        phones,
        (
            [second, first, third],
            [second, third, first],
            [first, second, third],
            [third, second, first],
        ),
        strict=True,
    ):
        answer(phone, q["ranking"], {"ranking": order})
    a, b, _c = _options(q["budget"])
    for phone, (x, y) in zip(phones, ((30, 70), (40, 60), (30, 70)), strict=False):
        answer(phone, q["budget"], {"allocation": {str(a): x, str(b): y}})
    statement = _options(q["statements"])[0]
    for phone, vote in zip(phones, ("agree", "agree", "disagree"), strict=False):
        answer(phone, q["statements"], {"statement": statement, "vote": vote})
    for question in q.values():
        facilitation.question_close(user=organiser, question=question)
    facilitation.question_reveal(user=organiser, question=q["choice"], revealed=True)
    follow_up_record(
        user=organiser,
        process=process,
        question_id=q["choice"].pk,
        outcome="adopted",
        reasoning=REASONING,
        decided_on=datetime.date(2026, 2, 1),
    )
    facilitation.session_end(user=organiser, session=live_session)
    process.refresh_from_db()
    live_session.refresh_from_db()
    return process, live_session, q


def _pdf_text(process, tmp_path) -> str:
    """The council report's text, its pages joined."""
    return " ".join(report(process, tmp_path))


def _results_page(client, process) -> str:
    page = client.get(process.get_absolute_url()).content.decode()
    return page.split('id="results-heading"')[1].split('id="follow-up-heading"')[0]


# --- 1. the public page writes figures as the report does ----------------------------


@pytest.mark.parametrize(
    ("language", "figures", "longer_or_shorter"),
    [
        ("nl", ("3,75", "2,25", "1,5", "33,33", "66,67", "50%", "66,7%"), ("3,8", "2,3", "50,0%")),
        ("en", ("3.75", "2.25", "1.5", "33.33", "66.67", "50%", "66.7%"), ("3.8", "2.3", "50.0%")),
    ],
)
def test_the_public_page_writes_each_figure_as_the_report_does(
    client, council, tmp_path, language, figures, longer_or_shorter
):
    process, _session, _q = council
    Process.objects.filter(pk=process.pk).update(language=language)
    process.refresh_from_db()
    report = _pdf_text(process, tmp_path)
    page = _results_page(client, process)
    for figure in figures:
        assert figure in report, figure
        assert figure in page, figure
    for other in longer_or_shorter:
        assert other not in page, other
    # The statement's share, one decimal a half up in both (the page wrote 67% before).
    assert "67%" not in page.replace("66,7%", "").replace("66.7%", "")


def test_the_public_page_writes_large_counts_grouped_as_the_report_does(
    client, process, make_question, organiser
):
    """1,234 hands: "1.234 deelnemers", grouped as the report writes it (the template
    alone would write 1234)."""
    question = make_question("single_choice")
    process_publish(user=organiser, process=process)
    facilitation.question_open(user=organiser, question=question)
    # Far more than the (empty) room has shown: recorded as confirmed.
    hand_count_record(
        user=organiser,
        question=question,
        counts={str(_options(question)[0]): 1234},
        confirmed=True,
    )
    facilitation.question_close(user=organiser, question=question)
    card = _results_page(client, process).split(f'id="result-{question.pk}"')[1]
    with translation.override("nl"):
        shown = ngettext("%(shown)s participant", "%(shown)s participants", 1234) % {
            "shown": number(1234)
        }
    assert shown.startswith("1.234 ") and shown in card.split("</p>")[0]
    assert "1234" not in card.split("<svg")[0]


def test_numbers_are_one_formatter_for_every_output():
    with translation.override("nl"):
        assert (number(3.65), number(50.0), number(1234.5), number(None)) == (
            "3,65",
            "50",
            "1.234,5",
            "",
        )
        assert (percent(50.0), percent(33.3)) == ("50%", "33,3%")
        assert (signed(3), signed(-2), signed(0), signed(1234)) == ("+3", "-2", "0", "+1.234")
    with translation.override("en"):
        assert (number(3.65), percent(66.7), signed(-1234)) == ("3.65", "66.7%", "-1,234")
    # Shares are rounded a half up from their digits: 1 of 80 is 1.25%, shown as 1.3
    # (``round`` would give 1.2, the binary value's nearest even).
    assert (rounded(1.25, 1), rounded(2.45, 1), rounded(12.5)) == (
        Decimal("1.3"),
        Decimal("2.5"),
        Decimal("13"),
    )
    share = statement_share(
        {"votes": 80, "agree": {"total": 1}, "disagree": {"total": 79}, "pass": {"total": 0}}
    )
    assert share == {"agree": 1.3, "disagree": 98.8, "pass": 0.0}


# --- 2. one JSON type per numeric field in the open data -----------------------------


def _numeric_types(value, path="", found=None) -> dict[str, set[str]]:
    """Per field (list positions left out of the path), the JSON number types it holds."""
    found = defaultdict(set) if found is None else found
    if isinstance(value, dict):
        for key, item in value.items():
            _numeric_types(item, f"{path}.{key}", found)
    elif isinstance(value, list):
        for item in value:
            _numeric_types(item, f"{path}[]", found)
    elif isinstance(value, bool) or value is None:
        pass
    elif isinstance(value, int):
        found[path].add("integer")
    elif isinstance(value, float):
        found[path].add("float")
    return found


def test_each_numeric_field_of_the_open_data_has_one_type(council, tmp_path):
    process, _session, q = council
    path = tmp_path / "open.json"
    call_command("export_results", process.slug, "--format", "json", "-o", str(path))
    text = path.read_text()
    exported = json.loads(text)
    results = {r["question"]: r for r in exported["results"]}
    # An even and an odd count of answers: both medians written with a decimal point.
    assert results[q["scale"].pk]["median"] == 4.0
    assert results[q["scale_odd"].pk]["median"] == 4.0
    assert re.search(r'"median": 4\.0\b', text) and not re.search(r'"median": 4\b(?!\.)', text)
    for key in ("scale", "scale_odd"):
        assert isinstance(results[q[key].pk]["mean"], float)
    mixed = {
        field: kinds
        for field, kinds in _numeric_types(
            {k: v for k, v in exported.items() if k != "log"}
        ).items()
        if len(kinds) > 1
    }
    assert mixed == {}
    # And the file still verifies: its numbers recount from the raw responses.
    call_command("verify_log", "--export", str(path))


# --- 3. the drop-off with its sign ----------------------------------------------------


def test_the_report_and_the_workbook_write_the_drop_off_with_its_sign(council, tmp_path):
    process, session, q = council
    Process.objects.filter(pk=process.pk).update(language="en")
    process.refresh_from_db()
    drops = [item["drop"] for item in session_report(session)["questions"]]
    assert drops[:4] == [None, 0, 1, -1]  # 4, 4, 3, 4 respondents
    report = _pdf_text(process, tmp_path)
    section = report.split("Answers per question, and who dropped off")[1].split(
        "Answers per minute"
    )[0]
    rows = {
        key: re.search(re.escape(q[key].text) + r" ([^A-Za-z]*)", section).group(1).split()[:7]
        for key in ("choice", "scale", "scale_odd", "ranking")
    }
    # in the room, remote, paper, hands, total, change, of the first question's answers
    assert rows["choice"][:6] == ["4", "0", "0", "0", "4", "100%"]  # no change to show
    assert rows["scale"][5] == "0"
    assert rows["scale_odd"][5] == "-1"
    assert rows["ranking"][5] == "+1"

    path = tmp_path / "book.xlsx"
    call_command("export_results", process.slug, "--format", "xlsx", "-o", str(path))
    sheet = load_workbook(path)["Session report"]
    found = {}
    for row in sheet.iter_rows():
        name = row[0].value
        for key in ("scale", "scale_odd", "ranking"):
            if isinstance(name, str) and name.endswith(q[key].text):
                found[key] = row[6]
    assert {key: cell.value for key, cell in found.items()} == {
        "scale": 0,
        "scale_odd": -1,
        "ranking": 1,
    }
    for cell in found.values():
        assert cell.number_format == "+#,##0;-#,##0;0"


# --- 4. the feed names the question and the meeting -----------------------------------


def _feed(client, process):
    response = client.get(reverse("public:feed", args=[process.slug]))
    assert response.status_code == 200
    entries = ET.fromstring(response.content).findall(f"{ATOM}entry")  # noqa: S314
    return {
        entry.find(f"{ATOM}id").text: (
            entry.find(f"{ATOM}title").text,
            (entry.find(f"{ATOM}summary").text if entry.find(f"{ATOM}summary") is not None else ""),
        )
        for entry in entries
    }


def _feed_meeting() -> str:
    """How the feed names the fixtures' evening (planned 15 January 2027, 19:30-21:30, in
    Wijkcentrum De Brug), run on the day the test runs: by both days, unless that is the
    day planned (``selectors.session_day``; ``test_held_day_elsewhere`` tests both)."""
    today = timezone.localdate()
    dated = (
        "15 januari 2027, 19:30\N{EN DASH}21:30"
        if today == datetime.date(2027, 1, 15)
        else gettext("planned %(planned)s, held %(held)s")
        % {"planned": "15 januari 2027", "held": date_format(today, "DATE_FORMAT")}
    )
    return gettext("Meeting: %(meeting)s") % {
        "meeting": f"Bewonersavond, {dated}, Wijkcentrum De Brug"
    }


def test_each_feed_item_names_its_question_and_meeting(client, council):
    process, _session, q = council
    feed = _feed(client, process)
    base = f"http://testserver{process.get_absolute_url()}log/"

    def item(action):
        entry = LogEntry.objects.get(process=process, action=action)
        return feed[f"{base}{entry.seq}"]  # the id stays the log entry's

    with translation.override("nl"):
        meeting = _feed_meeting()
        held = gettext("A meeting was held: %(meeting)s") % {"meeting": "Bewonersavond"}
        followed = gettext("What was done with the input on “%(question)s”: %(outcome)s") % {
            "question": q["choice"].text,
            "outcome": "overgenomen",
        }
        published = gettext("Results published: %(question)s") % {"question": q["choice"].text}
    assert item("session.ended") == (held, meeting)
    assert item("results.revealed") == (published, meeting)
    title, summary = item("follow_up.recorded")
    assert title == followed
    assert summary == f"{meeting}\n\n{REASONING}"


def test_feed_ids_do_not_change_when_the_items_name_more(client, council, organiser):
    process, _session, _q = council
    before = _feed(client, process)
    follow_up_record(
        user=organiser,
        process=process,
        question_id=None,
        outcome="adopted",
        reasoning="Het hele plan gaat door.",
        decided_on=datetime.date(2026, 2, 2),
    )
    after = _feed(client, process)
    assert set(before) <= set(after) and len(after) == len(before) + 1
    assert all(after[key] == value for key, value in before.items())
    entries = LogEntry.objects.filter(
        process=process, seq__in=[int(k.rsplit("/", 1)[1]) for k in after]
    )
    assert entries.count() == len(after)
    # A follow-up of the whole process names no question: the old words, its reasoning.
    new = next(value for key, value in after.items() if key not in before)
    with translation.override("nl"):
        assert new == (
            gettext("What was done with the input: %(outcome)s") % {"outcome": "overgenomen"},
            "Het hele plan gaat door.",
        )


def test_a_written_answer_in_the_feed_names_its_round_and_meeting(
    client, process, live_session, make_question, organiser
):
    question = make_question("qna", text="Vragen aan het college", qna_premoderate=False)
    process_publish(user=organiser, process=process)
    facilitation.question_open(user=organiser, question=question)
    phone = participant_join(session=live_session, via="room")
    asked, _ = qna.qna_ask(
        participant=phone, question_id=question.pk, text="Blijft de markt?", client_id="ask-0000001"
    )
    qna.qna_answer(user=organiser, asked=asked, mode="written", text="Ja, op zaterdag.")
    entry = LogEntry.objects.get(process=process, action="qna.answered")
    title, summary = _feed(client, process)[
        f"http://testserver{process.get_absolute_url()}log/{entry.seq}"
    ]
    with translation.override("nl"):
        assert title == gettext("Written answer: %(question)s") % {"question": "Blijft de markt?"}
        assert summary.split("\n\n") == [
            gettext("Question round: %(question)s") % {"question": "Vragen aan het college"},
            _feed_meeting(),
            "Ja, op zaterdag.",
        ]
