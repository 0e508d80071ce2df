"""Set up a town hall for the load tool, through the real services, and print what the
clients need as JSON: the join code, each phone's signed cookie, the console's and the
tellers' login cookies, and the printed sheets' entry paths.

    python -m bench.prepare --phones 5000 --tellers 4 --sheets 200 > plan.json

Run it with the same settings (``SECRET_KEY``, database) as the server under test.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import timedelta
from pathlib import Path

from . import description


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument("--phones", type=int, default=100)
    parser.add_argument("--remote-share", type=float, default=0.2)
    parser.add_argument("--tellers", type=int, default=2)
    parser.add_argument("--sheets", type=int, default=20)
    parser.add_argument("--reveal", action="store_true", help="results shown on phones too")
    parser.add_argument(
        "--statements",
        type=int,
        default=0,
        help="a statements question with this many statements, open and on screen, instead",
    )
    parser.add_argument(
        "--qna",
        type=int,
        default=0,
        help="a Q&A round with this many questions asked (closed until the Q&A phase)",
    )
    parser.add_argument(
        "--photos",
        default="",
        help="write a phone photo of each sheet, filled in, into this directory",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    json.dump(prepare(**vars(args)), sys.stdout)
    sys.stdout.write("\n")


def prepare(
    *,
    phones: int,
    remote_share: float,
    tellers: int,
    sheets: int,
    reveal: bool,
    statements: int = 0,
    photos: str = "",
    qna: int = 0,
) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from sessions_app import cookies
    from sessions_app.models import Role
    from sessions_app.services.facilitation import (
        question_close,
        question_open,
        question_reveal,
        session_show,
    )
    from sessions_app.services.live_sessions import live_session_create
    from sessions_app.services.paper import sheet_token
    from sessions_app.services.participation import participant_join
    from sessions_app.services.print_runs import print_batch_create
    from sessions_app.services.printing import form_layout
    from sessions_app.services.processes import process_create, process_publish
    from sessions_app.services.questions import question_create
    from sessions_app.services.staff import staff_grant
    from sessions_app.specs import OptionSpec, ProcessSpec, QuestionSpec, SessionSpec
    from sessions_app.staff_permissions import organise_grant

    users = get_user_model()
    stamp = timezone.now().strftime("%H%M%S%f")
    organiser = users.objects.create_user(username=f"bench-org-{stamp}")
    organise_grant(organiser)
    process = process_create(
        user=organiser,
        spec=ProcessSpec(
            title=f"Belastingproef Stationsplein {stamp}",
            purpose="Hoeveel deelnemers houdt één server bij.",
            promise="Alleen een meting.",
            decision_maker="Niemand",
        ),
    )
    now = timezone.now()
    session = live_session_create(
        user=organiser,
        process=process,
        spec=SessionSpec(
            title="Grote zaal",
            starts_at=now,
            ends_at=now + timedelta(hours=3),
            venue="Stadsschouwburg",
            mode="hybrid",
        ),
    )
    if statements:
        spec = QuestionSpec(
            kind="statements",
            text="Wat vindt u van deze stellingen over het Stationsplein?",
            options=[OptionSpec(f"Stelling {n + 1} over het plein.") for n in range(statements)],
        )
    else:
        spec = QuestionSpec(
            kind="single_choice",
            text="Wat moet er op het Stationsplein komen?",
            options=[
                OptionSpec(text)
                for text in ("Meer groen", "Een markt", "Fietsenstalling", "Speelplek")
            ],
        )
    question = question_create(user=organiser, session=session, spec=spec)
    round_ = None
    if qna:
        round_ = question_create(
            user=organiser,
            session=session,
            spec=QuestionSpec(
                kind="qna",
                text="Vragen aan het panel",
                max_length=300,
                max_proposals=qna + 10,
                qna_premoderate=False,
            ),
        )
    process_publish(user=organiser, process=process)
    if statements:
        # Open and on screen from the start: the phones vote at once.
        question_open(user=organiser, question=question)
        session_show(user=organiser, session=session, question=question)
    if reveal:
        question_reveal(user=organiser, question=question, revealed=True)

    def login(user) -> str:
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    teller_cookies = []
    for index in range(tellers):
        teller = users.objects.create_user(username=f"bench-teller-{stamp}-{index}")
        staff_grant(user=organiser, process=process, target=teller, role=Role.TELLER)
        teller_cookies.append(login(teller))
    paths = []
    photo_files = []
    if sheets:
        layout = form_layout(session=session, large_print=False)
        batch = print_batch_create(user=organiser, session=session, count=sheets, layout=layout)
        paths = [f"/t/{sheet_token(s)}/" for s in batch.sheets.order_by("serial")]
        if photos:
            photo_files = _photograph(layout.data, batch, paths, question, Path(photos))
    remote = round(phones * remote_share)
    phone_rows = []
    signer = cookies._signer(session.pk)
    for index in range(phones):
        participant = participant_join(session=session, via="remote" if index < remote else "room")
        phone_rows.append(signer.sign(participant.token))
    options = list(question.options.order_by("position").values_list("pk", flat=True))
    qna_plan = None
    if round_ is not None:
        qna_plan = _question_round(session, round_, qna, organiser)
        question_close(user=organiser, question=round_)
    return {
        "qna": qna_plan,
        "session": session.pk,
        "code": session.join_code,
        "question": question.pk,
        "options": options,
        "cookie_name": cookies.cookie_name(session.pk),
        "phones": phone_rows,
        "remote": remote,
        "facilitator": login(organiser),
        "tellers": teller_cookies,
        "sheets": paths,
        "photos": photo_files,
        "teller_page": f"/t/s/{session.pk}/",
        "revealed": reveal,
    }


def _question_round(session, question, count: int, organiser) -> dict:
    """``count`` questions asked to the panel, each by a participant of its own (not one
    of the phones, which may upvote them all), shown at once; the round then closes
    until the load tool's Q&A phase opens it again."""
    from sessions_app.services.facilitation import question_open
    from sessions_app.services.participation import participant_join
    from sessions_app.services.qna import qna_ask

    question_open(user=organiser, question=question)
    asked = []
    for index in range(count):
        asker = participant_join(session=session, via="room")
        option, _created = qna_ask(
            participant=asker,
            question_id=question.pk,
            text=f"Vraag {index + 1} aan het panel over het Stationsplein?",
            client_id=f"bench-ask-{index:06d}",
        )
        asked.append(option.pk)
    return {"question": question.pk, "asked": asked}


def _photograph(layout: dict, batch, paths: list[str], question, directory: Path) -> list[str]:
    """Each sheet of a one-page form with the first option crossed, as a phone photo."""
    import random

    from printables import paper_form
    from printables.strings import form_strings
    from sessions_app.reading.synthetic import PHOTO_DPI, draw_mark, photograph, render_pdf_page

    if len(layout["pages"]) != 1:
        raise SystemExit("photos are made for a one-page form")
    first = question.options.order_by("position").first().pk
    [box] = [b for b in layout["pages"][0]["boxes"] if b.get("option") == first]
    rng = random.Random(3)
    directory.mkdir(parents=True, exist_ok=True)
    files = []
    for sheet, path in zip(batch.sheets.order_by("serial"), paths, strict=True):
        pdf = paper_form.render(
            layout,
            [paper_form.SheetRow(sheet.code, f"http://bench.test{path}")],
            form_strings(),
            title="bench",
        )
        page = render_pdf_page(pdf, dpi=PHOTO_DPI)
        draw_mark(page, box, "cross", dpi=PHOTO_DPI, seed=rng.randrange(1 << 30))
        photo = photograph(
            page, angle=rng.uniform(-8, 8), skew=0.05, blur=0.8, light=0.3, quality=75
        )
        files.append(str(directory / f"sheet-{sheet.serial}.jpg"))
        Path(files[-1]).write_bytes(photo)
    return files


if __name__ == "__main__":
    main()
