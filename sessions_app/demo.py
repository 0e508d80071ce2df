"""A held meeting for the demo: last week's walk-in evening with the same questions,
answered from every source (phones in the room and at home, double-entered paper forms,
show of hands), moderated, revealed, ended and followed up. So that a new user sees full
results, exports and a public page at once, while next week's evening stays untouched for
trying a live session.

Everything goes through the services, as the real users would do it; a fixed random seed
makes the demo the same every time.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone, translation

from sessions_app.models import LiveSession, Option, Question, QuestionKind, Response
from sessions_app.services import (
    evaluation,
    facilitation,
    followups,
    hands,
    notes,
    opinion,
    paper,
    participation,
    print_runs,
    qna,
    reconciliation,
)
from sessions_app.services.live_sessions import live_session_create, live_session_move
from sessions_app.services.printing import form_layout, render_batch
from sessions_app.services.questions import question_create, question_spec_of
from sessions_app.specs import SessionSpec

K = QuestionKind
ROOM, REMOTE, SHEETS = 34, 12, 10
TEXTS = [
    "Meer bomen en schaduw, het plein is in de zomer veel te heet.",
    "Graag overdekte fietsenstalling dichter bij de ingang van het station.",
    "Bankjes waar je ook met een rollator makkelijk op en af kunt.",
    "Betere verlichting bij de tunnel, ik loop er 's avonds niet graag.",
    "Een plek voor de weekmarkt zou het plein levendiger maken.",
    "Minder stenen, meer gras; het regenwater moet ergens heen.",
    "Een watertappunt en een openbaar toilet.",
    "Houd de taxistandplaats, veel ouderen zijn daarop aangewezen.",
]


def _weighted(rng: random.Random, options: list, weights: list[int]):
    return rng.choices(options, weights=weights[: len(options)])[0]


def _answer(rng: random.Random, question: Question, options: list[int], *, paper: bool):
    """A plausible answer; ``paper`` in the shape a teller's form gives it."""
    if question.kind == K.SINGLE_CHOICE:
        return {"option": _weighted(rng, options, [5, 3, 2, 2, 1, 1])}
    if question.kind == K.MULTIPLE_CHOICE:
        return {"options": rng.sample(options, k=rng.randint(1, question.max_choices or 1))}
    if question.kind == K.SCALE:
        values = list(range(question.scale_min, question.scale_max + 1))
        return {"value": _weighted(rng, values, [1, 2, 3, 5, 4, 2, 1, 1, 1, 1, 1])}
    if question.kind == K.RANKING:
        order = list(options)
        rng.shuffle(order)
        return {"ranking": order}
    if question.kind == K.BUDGET:
        step = max(1, question.budget_total // 10)
        shares = [0] * len(options)
        for _ in range(question.budget_total // step):
            shares[_weighted(rng, list(range(len(options))), [4, 3, 2, 2, 1, 1])] += step
        shares[0] += question.budget_total - sum(shares)
        return {"allocation": {str(o): n for o, n in zip(options, shares, strict=True) if n}}
    if question.kind == K.OPEN_TEXT:
        return {"text": rng.choice(TEXTS)}
    raise ValueError(question.kind)


#: How the two kinds of visitor see the demo's eight statements (in order): those who
#: want a green, car-free square, and those who want it reachable and lively. Both want the
#: trees kept, better light and safe play: common ground for the opinion map.
CAMPS = (
    ("agree", "agree", "agree", "agree", "agree", "disagree", "agree", "disagree"),
    ("disagree", "agree", "agree", "pass", "disagree", "agree", "agree", "agree"),
)


def _votes(rng: random.Random, statements: list[int], camp: int) -> dict[int, str]:
    """A visitor's votes: mostly their camp's view, now and then their own."""
    names = ["agree", "disagree", "pass"]
    found = {}
    for index, statement in enumerate(statements):
        if rng.random() >= 0.85:
            continue  # skipped
        view = CAMPS[camp][index] if index < len(CAMPS[camp]) else None
        found[statement] = (
            view if view and rng.random() < 0.88 else _weighted(rng, names, [5, 3, 1])
        )
    return found


def _drawn(batch) -> None:
    """A demo print run must be drawn: a failed one voids its sheets, which the demo fills."""
    if batch.state != batch.State.DONE:
        raise RuntimeError(f"demo print run {batch.pk} {batch.state}: {batch.error}")


def fill_held_meeting(*, process, organiser, facilitator, teller, base_url: str) -> LiveSession:
    rng = random.Random(2028)  # noqa: S311 (a repeatable demo, not a secret)
    upcoming = process.sessions.order_by("position", "starts_at").first()
    zone = ZoneInfo(settings.TIME_ZONE)
    day = timezone.localdate() - timedelta(days=7)
    session = live_session_create(
        user=organiser,
        process=process,
        spec=SessionSpec(
            title="Inloopavond in de bibliotheek",
            starts_at=datetime.combine(day, time(19, 0), tzinfo=zone),
            ends_at=datetime.combine(day, time(21, 0), tzinfo=zone),
            venue="Bibliotheek Zuiderhaven",
            mode="hybrid",
        ),
    )
    live_session_move(user=organiser, session=session, offset=-1)  # the agenda runs by date
    questions = [
        question_create(user=organiser, session=session, spec=question_spec_of(q))
        for q in upcoming.questions.order_by("position", "id")
    ]
    # The evening closed with the evaluation, from its template.
    questions += evaluation.evaluation_add(user=organiser, session=session)
    options = {
        q.pk: list(q.options.order_by("position").values_list("pk", flat=True)) for q in questions
    }
    for question in questions:
        facilitation.question_open(user=facilitator, question=question)
    phones = [
        participation.participant_join(session=session, via="room" if n < ROOM else "remote")
        for n in range(ROOM + REMOTE)
    ]
    serial = 0
    for question in questions:
        if question.kind == K.QNA:
            continue  # the question round comes last (``_question_round``)
        batch = []
        for index, phone in enumerate(phones):
            if rng.random() < (0.35 if question.evaluation else 0.1):
                continue  # not everybody answers everything, nor stays for the evaluation
            if question.kind == K.STATEMENTS:
                camp = 0 if index % 5 < 3 else 1  # three in five want it green
                for statement, vote in _votes(rng, options[question.pk], camp).items():
                    serial += 1
                    batch.append(
                        participation.Submission(
                            phone,
                            question.pk,
                            {"statement": statement, "vote": vote},
                            f"demo-{serial:06d}",
                        )
                    )
            else:
                serial += 1
                if (
                    question.evaluation
                    and question.kind == K.SINGLE_CHOICE
                    and len(options[question.pk]) == len(JOINED_BY)
                ):
                    # How did you take part: as they did.
                    found = {"option": options[question.pk][0 if index < ROOM else 1]}
                else:
                    found = _answer(rng, question, options[question.pk], paper=False)
                batch.append(
                    participation.Submission(phone, question.pk, found, f"demo-{serial:06d}")
                )
        participation.responses_submit(batch)
    for number, response in enumerate(
        Response.objects.filter(question__session=session, question__kind=K.OPEN_TEXT).order_by(
            "pk"
        )
    ):
        if number == 3:
            facilitation.response_moderate(
                user=facilitator,
                response=response,
                decision="hide",
                reason="Noemt een buurtbewoner bij naam.",
            )
        else:
            facilitation.response_moderate(user=facilitator, response=response, decision="approve")
    layout = form_layout(session=session, large_print=False)
    batch = print_runs.print_batch_create(
        user=organiser, session=session, count=SHEETS, layout=layout
    )
    # Drawn, as the paper page's worker would have done before the meeting (a run left
    # waiting would show as still in the queue, a week later).
    _drawn(render_batch(batch.pk, base_url))
    sheets = list(batch.sheets.order_by("serial"))
    for number, sheet in enumerate(sheets[: SHEETS - 2]):
        answers = {}
        for question in questions:
            if question.kind == K.QNA:
                continue  # on a question card of its own (below)
            if question.kind == K.STATEMENTS:
                answers[str(question.pk)] = {
                    "votes": {
                        str(s): v for s, v in _votes(rng, options[question.pk], number % 2).items()
                    }
                }
            elif question.evaluation and len(options[question.pk]) == len(JOINED_BY):
                answers[str(question.pk)] = {"option": options[question.pk][2]}  # on paper
            else:
                answers[str(question.pk)] = _answer(rng, question, options[question.pk], paper=True)
        # The process asks for double entry: two tellers type each form, blind.
        for user, prefix in ((teller, "a"), (facilitator, "b")):
            paper.sheet_entry_record(
                user=user, sheet=sheet, answers=answers, client_id=f"demo-{prefix}{number:04d}"
            )
    reconciliation.sheet_void(
        user=facilitator, sheet=sheets[-2], reason="Nat geworden en onleesbaar."
    )
    qna_round = next((q for q in questions if q.kind == K.QNA), None)
    if qna_round is not None:
        # A question written on a question card, typed in by both tellers.
        cards = print_runs.print_batch_create(
            user=organiser,
            session=session,
            count=1,
            layout=form_layout(session=session, large_print=False, qna_cards=True),
        )
        _drawn(render_batch(cards.pk, base_url))
        card = cards.sheets.get()
        written = {
            str(qna_round.pk): {
                "proposal": PAPER_QUESTION,
                "panel_member": qna_round.panel.get(name="Pieter de Boer").pk,
            }
        }
        for user, prefix in ((teller, "a"), (facilitator, "b")):
            paper.sheet_entry_record(
                user=user, sheet=card, answers=written, client_id=f"demo-card-{prefix}"
            )
    for question in questions:
        if question.evaluation:
            continue  # nobody raises hands to say how the evening was
        if question.kind in (K.SINGLE_CHOICE, K.MULTIPLE_CHOICE):
            counts = {str(o): rng.randint(2, 9) for o in options[question.pk]}
            hands.hand_count_record(user=facilitator, question=question, counts=counts)
        elif question.kind == K.SCALE:
            counts = {
                str(v): rng.randint(0, 5) for v in range(question.scale_min, question.scale_max + 1)
            }
            hands.hand_count_record(user=facilitator, question=question, counts=counts)
        facilitation.question_reveal(user=facilitator, question=question, revealed=True)
    if qna_round is not None:
        _question_round(rng, qna_round, phones, facilitator, organiser)
    # The evening ended on the statements: its projector shows the opinion map.
    statements = next((q for q in questions if q.kind == K.STATEMENTS), None)
    if statements is not None:
        facilitation.session_show(user=facilitator, session=session, question=statements)
    facilitation.session_end(user=facilitator, session=session)
    reconciliation.paper_close(user=facilitator, session=session)
    for text in NOTES:
        notes.note_add(user=facilitator, session=session, text=text)
    _as_it_happened(rng, session, day, zone)
    followups.follow_up_record(
        user=organiser,
        process=process,
        question_id=questions[0].pk,
        outcome="partly_adopted",
        reasoning=(
            "Meer groen en schaduw kwam bovenaan, zowel online als op papier en bij het "
            "handen opsteken. Het ontwerpbureau krijgt de opdracht om minstens twintig "
            "bomen te planten; een waterpartij past niet binnen het budget."
        ),
        decided_on=timezone.localdate(),
    )
    if statements is not None:
        opinion.map_refresh(statements)  # the map is there before anyone looks
    return session


#: Last week's question round: (text, display name, addressed to, phone); the phone's
#: index among the evening's phones.
ASKED = [
    ("Wanneer beginnen de werkzaamheden, en hoe lang duren ze?", "", "Pieter de Boer", 0),
    ("Blijft de taxistandplaats bij de ingang?", "Henk", "Wethouder Jansen", 1),
    ("Hoeveel bomen komen er precies bij?", "", "Wethouder Jansen", 2),
    ("Kan de fietsenstalling gratis blijven?", "Sanne", "", 3),
    ("Wordt het plein ook 's nachts verlicht?", "", "Fatima El Amrani", 4),
    ("Komen er meer bomen op het plein?", "", "", 5),
]
PAPER_QUESTION = "Kunnen bewoners meepraten over het kunstwerk?"


#: The options of the evaluation's "how did you take part" (the template's).
JOINED_BY = ("phone in the room", "phone elsewhere", "paper", "hands or listening")
#: The facilitator's notes of last week's evening, with the minute after 19:00 each was typed.
NOTES = [
    "De wifi in de bibliotheek viel rond 19:25 even weg; een paar telefoons moesten "
    "opnieuw verbinden.",
    "Na de stellingen gingen zo'n tien mensen weg: volgende keer de vragenronde eerder.",
    "Veel ouderen vulden liever papier in; meer formulieren en pennen klaarleggen.",
]
NOTE_MINUTES = (26, 71, 118)


def _as_it_happened(rng: random.Random, session: LiveSession, day, zone) -> None:
    """Put last week's evening at its own times: each question opened a few minutes
    after the one before, the phones' answers in the minutes it was open (most of them
    soon after it opened), the notes at their minutes and the end at 20:55. The services
    stamp everything with the moment the demo is made; the session report reads these
    times (answers per minute). The log keeps its own times."""
    start = datetime.combine(day, time(19, 8), tzinfo=zone)
    questions = list(session.questions.order_by("position", "id"))
    for index, question in enumerate(questions):
        opened = start + timedelta(minutes=9 * index)
        closed = opened + timedelta(minutes=8)
        Question.objects.filter(pk=question.pk).update(opened_at=opened, closed_at=closed)
        answers = list(
            Response.objects.filter(question=question, source="online").only("pk", "created_at")
        )
        for response in answers:
            response.created_at = opened + timedelta(seconds=420 * rng.betavariate(1.3, 4))
        Response.objects.bulk_update(answers, ["created_at"], batch_size=500)
    for text, minute in zip(NOTES, NOTE_MINUTES, strict=True):
        session.notes.filter(text=text).update(
            created_at=datetime.combine(day, time(19, 0), tzinfo=zone) + timedelta(minutes=minute)
        )
    ended = datetime.combine(day, time(20, 55), tzinfo=zone)
    LiveSession.objects.filter(pk=session.pk).update(ended_at=ended)


def _question_round(rng: random.Random, question: Question, phones, facilitator, organiser):
    """Last week's questions to the panel: asked on phones (and one on paper, entered with
    the forms), approved, one duplicate merged, upvoted, answered (one promised in
    writing), and the round closed."""
    members = {m.name: m.pk for m in question.panel.all()}
    asked = []
    for number, (text, name, member, phone) in enumerate(ASKED):
        option, _created = qna.qna_ask(
            participant=phones[phone],
            question_id=question.pk,
            text=text,
            display_name=name,
            panel_member=members.get(member),
            client_id=f"demo-ask-{number:04d}",
        )
        asked.append(option)
    for option in question.options.filter(moderation="pending").order_by("pk"):
        facilitation.statement_moderate(user=facilitator, option=option, decision="approve")
    asked = [Option.objects.get(pk=o.pk) for o in asked]
    serial = 0
    for phone in phones[6:]:
        for option in rng.sample(asked, k=rng.randint(1, 3)):
            serial += 1
            participation.response_submit(
                participant=phone,
                question_id=question.pk,
                answer={"statement": option.pk, "vote": "up"},
                client_id=f"demo-up-{serial:05d}",
            )
    qna.qna_merge(user=facilitator, asked=asked[5], into=asked[2])
    on_paper = question.options.filter(sheet__isnull=False).first()
    if on_paper is not None:
        hands.hand_count_record(user=facilitator, question=question, counts={str(on_paper.pk): 9})
    qna.qna_pin(user=facilitator, question=question, asked=asked[0])
    qna.qna_answer(
        user=facilitator,
        asked=asked[0],
        mode="summary",
        text=(
            "De werkzaamheden beginnen in het voorjaar van 2028 en duren ongeveer negen "
            "maanden. Het station blijft de hele tijd bereikbaar."
        ),
    )
    qna.qna_answer(user=facilitator, asked=asked[1], mode="in_room")
    qna.qna_answer(
        user=facilitator,
        asked=asked[2],
        mode="in_writing",
        due=timezone.localdate() + timedelta(days=14),
    )
    qna.qna_answer(
        user=facilitator,
        asked=asked[3],
        mode="summary",
        text="Ja, de stalling blijft de eerste 24 uur gratis.",
    )
    facilitation.question_reveal(user=facilitator, question=question, revealed=True)


SAMPLE_FORMS = 3


def sample_form_photos(*, session: LiveSession, organiser, directory, base_url: str) -> list:
    """A few of next week's forms printed (a print run on the paper page), filled in by
    hand and photographed (both simulated, as the reader's benchmark does), so photo
    reading can be tried without a printer or a pen: a teller uploads them. Made once;
    later calls return the photos already written."""
    from printables import paper_form
    from printables.strings import form_strings
    from sessions_app.reading.synthetic import fill_in, photograph_form
    from sessions_app.services.printing import sheet_url

    existing = sorted(directory.glob("form-*.jpg"))
    if existing:
        return existing
    layout = form_layout(session=session, large_print=False)
    batch = print_runs.print_batch_create(
        user=organiser,
        session=session,
        count=SAMPLE_FORMS,
        layout=layout,
        client_id="demo-sample-photos",
    )
    render_batch(batch.pk, base_url)
    questions = fill_in_rows(session.questions.order_by("position", "id"))
    rng = random.Random(8)  # noqa: S311 (a repeatable demo, not a secret)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for sheet in batch.sheets.order_by("serial"):
        with translation.override(session.process.language):
            pdf = paper_form.render(
                layout.data,
                [paper_form.SheetRow(sheet.code, sheet_url(base_url, sheet), serial=sheet.serial)],
                form_strings(),
                title=session.title,
            )
        marks, _answers = fill_in(rng, questions, layout.data)
        for number, photo in enumerate(photograph_form(pdf, layout.data, marks, rng), start=1):
            path = directory / f"form-{sheet.serial}-page-{number}.jpg"
            path.write_bytes(photo)
            written.append(path)
    return written


def fill_in_rows(questions) -> list[dict]:
    """Questions as ``reading.synthetic.fill_in`` takes them (also for ``bench.reading``)."""
    return [
        {
            "id": q.pk,
            "kind": q.kind,
            "options": [o.pk for o in q.options.order_by("position")],
            "max_choices": q.max_choices,
            "scale_min": q.scale_min,
            "scale_max": q.scale_max,
        }
        for q in questions
    ]
