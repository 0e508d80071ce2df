"""Issue 18, items 17 and 18: the public process page (results under their session, sorted,
in plain words, with SVG charts, grouped open answers and the opinion map) and the public
log (plain descriptions, and its entries as JSON to check the chain anywhere)."""

import hashlib
import json
import re
from datetime import datetime
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation
from freezegun import freeze_time

from sessions_app import checkpoints
from sessions_app.logchain import canonical_json, verify_chain
from sessions_app.models import LogEntry, Response
from sessions_app.services import facilitation
from sessions_app.services.live_sessions import live_session_create
from sessions_app.services.participation import participant_join, response_submit
from sessions_app.services.processes import process_publish
from sessions_app.services.questions import question_create
from sessions_app.specs import OptionSpec
from sessions_app.views import public as public_views
from sessions_app.views.public_results import amount, grouped_answers, num
from tests.conftest import question_spec, session_spec
from tests.statement_votes import vote_all

pytestmark = pytest.mark.django_db

AMS = ZoneInfo("Europe/Amsterdam")
BENCHES = "Welke kleur krijgen de nieuwe bankjes?"
#: A long address in an answer: it must break rather than widen a phone's page.
LONG_ADDRESS = (
    "https://www.example.org/plannen/stationsplein/herinrichting-bomen-en-bankjes-2027-"
    "concept-versie-3-definitief.pdf"
)
_ids = count(1)


def _answer(session, question, answer, *, via="room"):
    phone = participant_join(session=session, via=via)
    return response_submit(
        participant=phone,
        question_id=question.pk,
        answer=answer,
        client_id=f"public-{next(_ids):06d}",
    )


def _ids_of(question):
    return {o.text: o.pk for o in question.options.all()}


def build_evening(process, first, organiser):
    """Two sessions that ask the same question, with every kind of result published; the
    log holds Dutch text with "ë" and "€" (in the questions' design)."""
    second = live_session_create(
        user=organiser,
        process=process,
        spec=session_spec(
            title="Tweede avond",
            starts_at=datetime(2027, 1, 22, 19, 30, tzinfo=AMS),
            ends_at=datetime(2027, 1, 22, 21, 30, tzinfo=AMS),
        ),
    )

    def make(kind, session, **overrides):
        return question_create(
            user=organiser, session=session, spec=question_spec(kind, **overrides)
        )

    colours = [OptionSpec("Groen"), OptionSpec("Blauw"), OptionSpec("Rood")]
    q = {
        "choice": make("single_choice", first, text=BENCHES, options=colours),
        "ranking": make(
            "ranking",
            first,
            text="Wat moet er het eerst komen?",
            options=[OptionSpec("Bomen"), OptionSpec("Bankjes"), OptionSpec("Ideeën-muur")],
        ),
        "budget": make(
            "budget",
            first,
            text="Hoe verdeelt u € 100?",
            options=[OptionSpec("Speeltuin"), OptionSpec("Café-terras")],
            budget_unit="€",
        ),
        "text": make("open_text", first, text="Wat mist u op het plein?"),
        "statements": make(
            "statements",
            first,
            text="Wat vindt u van deze stellingen?",
            options=[OptionSpec("Meer bomen op het plein."), OptionSpec("Geen auto's meer.")],
        ),
        "choice2": make("single_choice", second, text=BENCHES, options=colours),
    }
    process_publish(user=organiser, process=process)
    for question in q.values():
        facilitation.question_open(user=organiser, question=question)
    colour = _ids_of(q["choice"])
    for name in ("Groen", "Blauw", "Blauw", "Blauw"):
        _answer(first, q["choice"], {"option": colour[name]})
    colour2 = _ids_of(q["choice2"])
    for name in ("Rood", "Rood", "Groen"):
        _answer(second, q["choice2"], {"option": colour2[name]}, via="remote")
    order = _ids_of(q["ranking"])
    for ranking in (
        ["Bankjes", "Bomen", "Ideeën-muur"],
        ["Bankjes", "Ideeën-muur", "Bomen"],
        ["Bomen", "Bankjes", "Ideeën-muur"],
        ["Ideeën-muur", "Bankjes", "Bomen"],
    ):
        _answer(first, q["ranking"], {"ranking": [order[name] for name in ranking]})
    spend = _ids_of(q["budget"])
    for park, terrace in ((30, 70), (40, 60), (80, 20)):
        _answer(
            first,
            q["budget"],
            {"allocation": {str(spend["Speeltuin"]): park, str(spend["Café-terras"]): terrace}},
        )
    texts = ["Meer groen", "Een bankje", "meer  groen", "Meer groen", f"Schaduw: {LONG_ADDRESS}"]
    for text in texts:
        result = _answer(first, q["text"], {"text": text})
        facilitation.response_moderate(
            user=organiser, response=Response.objects.get(pk=result.response_id), decision="approve"
        )
    # Two camps: the opinion map finds two groups.
    vote_all(first, q["statements"], [(3, "agree"), (3, "disagree")])
    statements = _ids_of(q["statements"])
    _answer(first, q["statements"], {"statement": statements["Geen auto's meer."], "vote": "agree"})
    for key in ("ranking", "budget", "text", "statements"):
        facilitation.question_close(user=organiser, question=q[key])
    for key in ("choice", "choice2"):
        facilitation.question_reveal(user=organiser, question=q[key], revealed=True)
    process.refresh_from_db()
    return second, q


@pytest.fixture
def evening(process, live_session, organiser):
    second, q = build_evening(process, live_session, organiser)
    return process, live_session, second, q


def _results(client, process):
    page = client.get(process.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    return page.split('id="results-heading"')[1].split('id="follow-up-heading"')[0]


def _card(results, question):
    return results.split(f'id="result-{question.pk}"')[1].split("</article>")[0]


def test_results_are_grouped_under_their_sessions_with_title_and_date(client, evening):
    process, first, second, q = evening
    results = _results(client, process)
    # Both sessions have a heading, and each asked the same question: each appears once
    # under its own session, first session first.
    at_first = results.index(f'id="result-session-{first.pk}"')
    at_second = results.index(f'id="result-session-{second.pk}"')
    assert at_first < results.index(f'id="result-{q["choice"].pk}"') < at_second
    assert at_second < results.index(f'id="result-{q["choice2"].pk}"')
    assert results.count(BENCHES) >= 2
    assert "Tweede avond" in results and "22 januari 2027" in results
    assert "15 januari 2027" in results


def test_rows_are_sorted_by_result_in_table_and_chart(client, evening):
    process, _first, _second, q = evening
    results = _results(client, process)
    choice = _card(results, q["choice"])
    # Blauw (3) before Groen (1) before Rood (0), in the chart and in the table.
    chart = choice.split("<svg")[1].split("</svg>")[0]
    assert chart.index("Blauw") < chart.index("Groen") < chart.index("Rood")
    table = choice.split("<table")[1]
    assert table.index("Blauw") < table.index("Groen") < table.index("Rood")
    second = _card(results, q["choice2"])
    assert second.split("<table")[1].index("Rood") < second.split("<table")[1].index("Groen")
    # Ranking by average place: Bankjes (1.5), Bomen (2.25), Ideeën-muur (2.25, fewer
    # points... equal) — Bankjes first.
    ranking = _card(results, q["ranking"])
    table = ranking.split("<table")[1]
    assert table.index("Bankjes") < table.index("Bomen")
    # Budget by amount: Café-terras (150) before Speeltuin (150)? 30+40+80 = 150 and
    # 70+60+20 = 150: a tie keeps the designer's order.
    budget = _card(results, q["budget"])
    assert "€\N{NO-BREAK SPACE}150" in budget
    # Statements by agreement: "Geen auto's meer." has 4 of 7 agreeing, "Meer bomen" 3 of 6.
    statements = _card(results, q["statements"])
    table = statements.split("<table")[1]
    assert table.index("Geen auto&#x27;s meer.") < table.index("Meer bomen op het plein.")


def test_plain_words_and_dutch_numbers_instead_of_method_names(client, evening):
    process, _first, _second, q = evening
    results = _results(client, process)
    assert "Borda" not in results
    assert "gemiddelde plaats 2.46" not in results
    ranking = _card(results, q["ranking"])
    # 1 + 1 + 2 + 2 = 6 over 4 phones: on average in place 1.5 of 3, written 1,5.
    assert re.search(r"1,5\b", ranking)
    assert "1.5" not in ranking.split("<svg")[0] + ranking.split("</svg>")[1]
    budget = _card(results, q["budget"])
    assert "€\N{NO-BREAK SPACE}50" in budget  # the average per person, with the unit
    # Bomen and Ideeën-muur: places 2, 3, 1, 3 and 3, 2, 3, 1, on average 2.25, written
    # as the PDF writes it: 2,25 (not rounded to 2,3 as the page once did).
    assert ranking.count("gemiddeld op plaats 2,25 van 3") >= 2  # table, chart description
    assert "2,3" not in ranking


def test_numbers_are_written_as_the_report_writes_them():
    """The page writes a figure with the decimals the PDF and the workbook show (2,48
    there, 2,48 here), without a trailing ,0 (75%, not 75,0%)."""
    with translation.override("nl"):
        assert num(2.48) == "2,48"  # a ranking's average place
        assert num(3.65) == "3,65"  # a scale's average
        assert (num(32.39), num(13.26)) == ("32,39", "13,26")  # budget averages
        assert num(1234.5) == "1.234,5" and num(4) == "4" and num(75.0) == "75"
        assert num(None) == "\N{EN DASH}"
        assert amount(28.7, "").startswith("28,7 ") and amount(6.74, "").startswith("6,74 ")
        assert amount(1.0, "") == amount(1, "")  # "1 punt", singular
        assert amount(0.96, "") != amount(1, "")  # "0,96 punten"
        assert amount(1234.5, "€") == "€\N{NO-BREAK SPACE}1.234,5"
    with translation.override("en"):
        assert (num(3.65), num(1234.5)) == ("3.65", "1,234.5")


def test_shown_results_stay_provisional_until_the_session_has_ended(
    client, process, live_session, organiser
):
    """Final as the council report has it: the session ended and its paper is in. An open
    question whose results the console shows is still being answered on phones."""
    question = question_create(
        user=organiser,
        session=live_session,
        spec=question_spec("open_text", text="Wat mist u op het plein?"),
    )
    process_publish(user=organiser, process=process)
    facilitation.question_open(user=organiser, question=question)
    for text in ("Meer groen", "Schaduw"):
        response = _answer(live_session, question, {"text": text})
        facilitation.response_moderate(
            user=organiser,
            response=Response.objects.get(pk=response.response_id),
            decision="approve",
        )
    facilitation.question_reveal(user=organiser, question=question, revealed=True)
    with translation.override("nl"):
        final = translation.gettext("Final.")
        in_progress = translation.gettext("Still in progress: these results are provisional.")
    card = _card(_results(client, process), question)
    assert in_progress in card and final not in card
    assert "2 deelnemers" in card or "2 participants" in card
    facilitation.session_end(user=organiser, session=live_session)
    card = _card(_results(client, process), question)
    assert final in card and "voorlopig" not in card.lower()


def test_an_ended_session_with_paper_still_to_enter_says_so(
    client, paper_session, printed, organiser
):
    """An ended session whose printed forms may still come in: provisional for that."""
    session, q = paper_session
    printed(1)
    process_publish(user=organiser, process=session.process)
    facilitation.question_open(user=organiser, question=q["choice"])
    facilitation.question_reveal(user=organiser, question=q["choice"], revealed=True)
    facilitation.session_end(user=organiser, session=session)
    with translation.override("nl"):
        paper = translation.gettext("Provisional: paper forms may still be entered.")
        final = translation.gettext("Final.")
    card = _card(_results(client, session.process), q["choice"])
    assert paper in card and final not in card


def test_every_chart_is_an_svg_image_with_a_name_and_a_table_beside_it(client, evening):
    process, _first, _second, q = evening
    results = _results(client, process)
    for key in ("choice", "ranking", "budget", "statements", "choice2"):
        card = _card(results, q[key])
        svg = re.search(r"<svg class=\"chart[^>]*>", card).group(0)
        assert 'role="img"' in svg
        labelled = re.search(r'aria-labelledby="([^"]+)"', svg).group(1).split()
        for ident in labelled:
            assert f'id="{ident}"' in card
        assert "<title id=" in card and "<desc id=" in card
        assert "<table" in card and 'scope="row"' in card
        # Numbers inside the SVG's geometry are never localised (no "12,5" coordinates).
        for coordinate in re.findall(r' (?:x|y|width|cx|cy|x1|x2|y1|y2)="([^"]+)"', card):
            assert re.fullmatch(r"-?\d+(\.\d+)?", coordinate), coordinate


def test_identical_open_answers_are_grouped_with_a_count(client, evening):
    process, _first, _second, q = evening
    card = _card(_results(client, process), q["text"])
    answers = card.split('class="open-answers grouped-answers"')[1].split("</ul>")[0]
    items = re.findall(r"<li>(.*?)</li>", answers, re.S)
    assert len(items) == 3  # "Meer groen" three times (whatever case and spacing), two others
    assert items[0].startswith("Meer groen")
    assert re.search(r'class="answer-count">3 ', items[0])  # "3 keer" once translated
    assert answers.count("Meer groen") == 1 and "meer  groen" not in answers


def test_grouping_ignores_case_and_spacing_and_keeps_erased_answers_apart():
    found = grouped_answers(["Ja", "ja ", "Nee", "", "", " JA"])
    assert found[0] == {"text": "Ja", "count": 3, "erased": False}
    assert found[1]["text"] == "Nee"
    assert found[-1] == {"text": "", "count": 2, "erased": True}


def test_amounts_name_their_unit():
    with translation.override("nl"):
        assert amount(1234, "€") == "€\N{NO-BREAK SPACE}1.234"
        assert amount(12, "uur") == "12\N{NO-BREAK SPACE}uur"
        assert amount(1, "").startswith("1 ")  # "1 punt" once translated


def test_a_closed_statements_question_shows_its_opinion_map_in_svg_and_words(client, evening):
    process, _first, _second, q = evening
    card = _card(_results(client, process), q["statements"])
    opinion = card.split('class="public-opinion"')[1]
    svg = re.search(r'<svg class="opinion-map"[^>]*>', opinion).group(0)
    assert 'role="img"' in svg and "Groep A" in svg and "Groep B" in svg
    # The six who voted on both statements are placed; one vote alone places nobody.
    assert opinion.count('class="dot group-') == 6
    who = re.search(r'<figcaption class="opinion-who">(.*?)</figcaption>', opinion).group(1)
    assert who.startswith("6 van de ") and "op ten minste 2 stellingen" in who, who
    assert opinion.count('class="opinion-group group-') == 2
    assert "Groep A: 3 mensen" in opinion or "Groep A: 4 mensen" in opinion
    assert "Waar de groepen verschillen" in opinion
    # Under an English interface the statements keep their language; the words around
    # them (the groups' names, the vote signs) are the interface's own.
    client.cookies["django_language"] = "en"
    english = _card(_results(client, process), q["statements"]).split('class="public-opinion"')[1]
    del client.cookies["django_language"]
    statement = q["statements"].options.first().text
    assert f'<span lang="nl">{statement}</span>' in english
    assert f'<span lang="nl">{statement}</span>' not in opinion


def test_an_open_statements_question_shows_no_map(client, evening, organiser):
    process, _first, _second, q = evening
    facilitation.question_open(user=organiser, question=q["statements"])
    facilitation.question_reveal(user=organiser, question=q["statements"], revealed=True)
    card = _card(_results(client, process), q["statements"])
    assert "<table" in card and 'class="public-opinion"' not in card


def test_the_log_page_describes_each_entry_and_keeps_the_code(client, evening):
    process, *_rest = evening
    page = client.get(reverse("public:log", args=[process.slug]), HTTP_ACCEPT_LANGUAGE="nl")
    text = page.content.decode()
    assert "Er is een antwoord geteld." in text  # log_words, in the process's Dutch
    assert '<code class="log-code"' in text and "response.counted</code>" in text
    assert 'id="log-check"' in text and 'role="status"' in text
    assert reverse("public:log_entries", args=[process.slug]) in text
    assert 'src="/static/js/verify-log.js"' in text
    config = json.loads(re.search(r'id="log-check-config"[^>]*>(.*?)</script>', text, re.S)[1])
    assert config["seq"] == process.log_seq and config["head"] == process.log_head
    assert config["process"] == process.slug
    # Who: a phone as a participant with its pseudonymous id, never the stored code.
    counted = LogEntry.objects.filter(process=process, action="response.counted").first()
    public_id = counted.actor.removeprefix("participant:")
    assert f"deelnemer <code>{public_id}</code>" in text
    assert f">{counted.actor}<" not in text and f"<td>{counted.actor}</td>" not in text


def test_the_signed_head_is_dated_as_the_entries_are(client, paper_session, organiser):
    """The checkpoint's time in words and in the installation's time zone, like every
    entry's; the time as signed stays on the page for machines."""
    process = paper_session[0].process
    process_publish(user=organiser, process=process)
    with freeze_time("2026-12-06T08:07:56.864193Z"):
        head = checkpoints.head_sign(process)
    assert head.at == "2026-12-06T08:07:56.864193Z"
    page = client.get(reverse("public:log", args=[process.slug]), HTTP_ACCEPT_LANGUAGE="nl")
    section = page.content.decode().split('id="head-title"')[1].split("</section>")[0]
    # 08:07 UTC is 09:07 in Amsterdam in December; "6 december 2026" in Dutch.
    assert '<time datetime="2026-12-06T08:07:56.864193Z">6 december 2026 09:07:56</time>' in (
        section
    )
    assert "(UTC)" not in section


def test_the_log_json_pages_through_entries_that_verify(client, evening, monkeypatch):
    process, *_rest = evening
    monkeypatch.setattr(public_views, "LOG_JSON_PAGE", 7)
    url = reverse("public:log_entries", args=[process.slug])
    entries, following, pages = [], url, 0
    while following:
        response = client.get(following)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/json")
        body = json.loads(response.content)
        assert body["process"] == process.slug and body["upto"] == process.log_seq
        assert len(body["entries"]) <= 7
        entries += body["entries"]
        following, pages = body["next"], pages + 1
    assert pages == -(-process.log_seq // 7)
    report = verify_chain(process.slug, entries)
    assert report.ok and report.count == process.log_seq and report.head == process.log_head
    # The Dutch text is there as itself, and every hash is the one stored.
    raw = client.get(url).content.decode("utf-8")
    assert "Ideeën-muur" in raw and "€" in raw
    stored = dict(LogEntry.objects.filter(process=process).values_list("seq", "hash"))
    assert all(stored[e["seq"]] == e["hash"] for e in entries)


def test_the_log_json_stops_at_the_head_asked_for_and_refuses_a_draft(
    client, evening, make_process
):
    process, *_rest = evening
    url = reverse("public:log_entries", args=[process.slug])
    body = json.loads(client.get(url, {"after": 3, "upto": 5}).content)
    assert [e["seq"] for e in body["entries"]] == [4, 5] and body["next"] is None
    body = json.loads(client.get(url, {"after": "x", "upto": 10**9}).content)
    assert body["upto"] == process.log_seq
    draft = make_process(title="Nog niet open")
    assert client.get(reverse("public:log_entries", args=[draft.slug])).status_code == 404


def test_the_command_line_check_on_the_page_runs_and_prints_the_head(client, evening, monkeypatch):
    """The Python shown for checking without a browser works against this server."""
    process, *_rest = evening
    page = client.get(reverse("public:log", args=[process.slug])).content.decode()
    script = re.search(r'<pre class="log-check-script"[^>]*><code>(.*?)</code></pre>', page, re.S)[
        1
    ]
    import html
    import io
    import urllib.request
    from contextlib import redirect_stdout

    source = html.unescape(script).split("<<'END'\n", 1)[1].rsplit("\nEND", 1)[0]

    def fetch(url):
        return io.BytesIO(client.get(url.removeprefix("http://testserver")).content)

    monkeypatch.setattr(urllib.request, "urlopen", fetch)
    monkeypatch.setattr(public_views, "LOG_JSON_PAGE", 10)
    out = io.StringIO()
    with redirect_stdout(out):
        exec(compile(source, "check", "exec"), {})  # noqa: S102 (our own page's script)
    assert out.getvalue().strip() == f"{process.log_seq} entries OK, head {process.log_head}"


def test_a_python_float_in_the_log_data_hashes_as_python_writes_it():
    """The browser's check must write 1.0 as 1.0 and 1e16 as 1e+16: the cases the JSON
    endpoint passes through unchanged (json.dumps of the stored data)."""
    data = {"a": 1.0, "b": 1e16, "c": 1e-05, "d": "ë €"}
    assert canonical_json(data).decode() == '{"a":1.0,"b":1e+16,"c":1e-05,"d":"ë €"}'
    assert hashlib.sha256(canonical_json(data)).hexdigest()
