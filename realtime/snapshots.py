"""Snapshots: plain dicts built from the domain's selectors, one per audience.

* ``phone``: the open questions (and the one on screen), with results only when revealed.
* ``presenter``: the question on screen, its number of answers, whether to state the rule
  of a show of hands, and results when revealed.
* ``facilitator``: the whole agenda with all results (revealed or not) and the
  moderation queue.

``version`` is the process log's sequence number when the snapshot was read: every change
that can alter a snapshot appends to the log, so versions only grow, across server
processes too.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch

from sessions_app.bulk import select_by_pk
from sessions_app.join_limits import busiest_network
from sessions_app.models import (
    LiveSession,
    Moderation,
    Option,
    Process,
    Question,
    QuestionKind,
    QuestionState,
)
from sessions_app.opinion.summary import summary as opinion_summary
from sessions_app.results import paper_provisional, question_results
from sessions_app.selectors import ASKED_WAITING, map_signatures, moderation_queue, stored_map
from sessions_app.services.hands import hands_rule_applies

K = QuestionKind


@dataclass
class SessionView:
    version: int
    phone: dict
    presenter: dict
    facilitator: dict
    question_ids: frozenset[int]
    #: the statements questions: they have an opinion map
    statement_ids: frozenset[int] = frozenset()
    #: the question on screen's opinion map positions, when its results are shown:
    #: (question id, {participant id: [x, y, group]}), for each phone's own place
    positions: tuple[int, dict] | None = None
    #: the session's Q&A rounds' questions waiting for a facilitator, by asker:
    #: {participant id: (asked ids)} (None without a Q&A round); a phone whose own list
    #: changed is sent its ``mine`` again
    waiting: dict[int, tuple] | None = None


#: The most asked questions a phone's snapshot lists (every byte goes to every phone):
#: the most upvoted, and the newest, of a Q&A round.
PHONE_ASKED_TOP, PHONE_ASKED_NEW = 20, 10
#: The most asked questions the presenter lists under the pinned one.
PRESENTER_ASKED = 8


def _asked_brief(item: dict) -> dict:
    """One asked question as a phone shows it: its id, text and votes, and only those of
    its name, addressee, paper origin, answer and pin that it has (every byte here goes to
    every phone, every second the votes change)."""
    brief = {"id": item["id"], "text": item["text"], "votes": item["votes"]["total"]}
    if item["name"]:
        brief["name"] = item["name"]
    if item["panel_member"]:
        brief["panel_member"] = item["panel_member"]["id"]
    if item["source"] == "paper":
        brief["paper"] = True
    if item["answer"]:
        brief["answer"] = item["answer"]["mode"]
    if item["pinned"]:
        brief["pinned"] = True
    return brief


def qna_for_phones(results: dict) -> tuple[list[dict], int]:
    """A Q&A round's list for phones: the ``PHONE_ASKED_TOP`` most upvoted and the
    ``PHONE_ASKED_NEW`` newest shown questions (most votes first), and how many are shown
    in all."""
    asked = results["asked"]
    keep = {item["id"] for item in asked[:PHONE_ASKED_TOP]}
    keep |= {item["id"] for item in sorted(asked, key=lambda i: i["id"])[-PHONE_ASKED_NEW:]}
    return [_asked_brief(item) for item in asked if item["id"] in keep], len(asked)


def question_definition(question: Question, results: dict | None = None) -> dict:
    """What a client needs to show and answer a question; a Q&A round also lists its
    asked questions (from ``results``, its ``question_results``)."""
    data = {
        "id": question.pk,
        "kind": question.kind,
        "text": question.text,
        "description": question.description,
        "state": question.state,
        "revealed": question.results_revealed,
    }
    approved = [
        {"id": o.pk, "text": o.text}
        for o in question.options.all()
        if o.moderation == Moderation.APPROVED
    ]
    if question.kind == K.STATEMENTS:
        data["statements"] = approved
        data["participants_may_add"] = question.participants_may_add
    elif question.kind in (K.SINGLE_CHOICE, K.MULTIPLE_CHOICE, K.RANKING, K.BUDGET):
        data["options"] = approved
    if question.kind == K.MULTIPLE_CHOICE:
        data["max_choices"] = question.max_choices
    elif question.kind == K.SCALE:
        data.update(
            min=question.scale_min,
            max=question.scale_max,
            min_label=question.min_label,
            max_label=question.max_label,
        )
    elif question.kind == K.BUDGET:
        data["total"] = question.budget_total
        data["unit"] = question.budget_unit
    elif question.kind == K.OPEN_TEXT:
        data["max_length"] = question.max_length
    elif question.kind == K.QNA:
        data["max_length"] = question.max_length
        data["names"] = question.qna_names
        data["upvotes"] = question.qna_upvotes
        data["moderated"] = question.qna_premoderate
        data["panel"] = [{"id": m.pk, "name": m.name, "role": m.role} for m in question.panel.all()]
        if results is not None:
            data["asked"], data["asked_total"] = qna_for_phones(results)
            data["pinned"] = results["pinned"]
    return data


def session_header(session: LiveSession, provisional: bool | None = None) -> dict:
    if provisional is None:
        provisional = paper_provisional(session)
    return {
        "id": session.pk,
        "code": session.join_code,
        "title": session.title,
        "state": session.state,
        "language": session.process.language,
        "current_question": session.current_question_id,
        "paper_open": session.paper_closed_at is None,
        "provisional": provisional,
    }


def _maps(question_ids: list[int], cache: dict, *, read: bool) -> dict[int, tuple[str, dict, dict]]:
    """The stored opinion maps of these questions, as (signature, data, summaries), read
    again only when their signature changed: votes arrive every tick, maps every few
    seconds (and a new map marks its question changed, so a tick of mere counts, not
    ``read``, keeps the signatures it has)."""
    if not read and ("maps", tuple(question_ids)) in cache:
        signatures = cache[("maps", tuple(question_ids))]
    else:
        signatures = cache[("maps", tuple(question_ids))] = list(map_signatures(question_ids))
    found = {}
    for question_id, signature in signatures:
        held = cache.get(("map", question_id))
        if held is None or held[0] != signature:
            held = cache[("map", question_id)] = (signature, stored_map(question_id), {})
        if held[1] is not None:
            found[question_id] = held
    return found


def build_view(
    session_id: int, *, stale: set[int] | None, cache: dict, structure: bool = True
) -> SessionView:
    """Read the session and build all three snapshots. ``cache`` holds results per
    question between calls (only questions in ``stale``, all if None, are recomputed), the
    opinion maps with their summaries (read again when their signature changes), and the
    session with its questions: with ``structure`` false only counts changed since the
    last call, so those are kept (and the moderation queue, unless an open question's
    answers may have joined it) and only the log's sequence number is read again."""
    held = cache.get("structure")
    if structure or held is None:
        session = LiveSession.objects.select_related("process").get(pk=session_id)
        questions = list(
            session.questions.order_by("position", "id").prefetch_related(
                Prefetch("options", queryset=Option.objects.order_by("position", "id")), "panel"
            )
        )
        provisional = paper_provisional(session)
        header = session_header(session, provisional)
        moderation = moderation_queue(session)
        version = session.process.log_seq
        cache["structure"] = (session, questions, provisional, header, moderation)
        cache["waiting"] = (
            _qna_waiting(session) if any(q.kind == K.QNA for q in questions) else None
        )
    else:
        session, questions, provisional, header, moderation = held
        [(_pk, version)] = select_by_pk(Process, [session.process_id], ("log_seq",))
        if any(q.kind == K.OPEN_TEXT and (stale is None or q.pk in stale) for q in questions):
            moderation = moderation_queue(session)  # new open answers wait for a facilitator
            cache["structure"] = (session, questions, provisional, header, moderation)
    for question in questions:
        if stale is None or question.pk in stale or question.pk not in cache:
            cache[question.pk] = question_results(
                question=question, session=session, provisional=provisional
            )
    current = next((q for q in questions if q.pk == session.current_question_id), None)

    maps = _maps([q.pk for q in questions if q.kind == K.STATEMENTS], cache, read=structure)

    def opinion(question: Question, *, dots: bool = True) -> dict | None:
        found = maps.get(question.pk)
        if found is None:
            return None
        _signature, data, views = found
        texts = {o.pk: o.text for o in question.options.all()}
        key = (dots, hash(tuple(sorted(texts.items()))))
        if key not in views:  # once per map (and per statement wording), not per tick
            views[key] = opinion_summary(data, texts, dots=dots)
        return views[key]

    def shown(question: Question, *, dots: bool = True) -> dict:
        data = question_definition(question, cache[question.pk])
        if question.results_revealed:
            data["results"] = cache[question.pk]
            if question.kind == K.STATEMENTS:
                data["opinion"] = opinion(question, dots=dots)
        return data

    def on_phone(question: Question) -> dict:
        # Phones get results only for the question on screen, and of the opinion map only
        # the groups: every byte here goes to every phone.
        if question is current and question.kind != K.QNA:
            # (A Q&A round's phones have its list already: ``asked``.)
            return shown(question, dots=False)
        return question_definition(question, cache[question.pk])

    phone_questions = [q for q in questions if q.state == QuestionState.OPEN or q is current]
    presenter_question = None
    if current is not None:
        presenter_question = shown(current)
        respondents = cache[current.pk]["respondents"]
        presenter_question["respondents"] = respondents["total"]
        presenter_question["hands_rule"] = hands_rule_applies(
            current, mode=session.mode, hands=respondents["hands"]
        )
        if current.kind == K.QNA:
            # The round on screen: the pinned question large, and the top of the list
            # with its votes split by source (whether or not results are "shown": the
            # list is the round itself).
            asked = cache[current.pk]["asked"]
            for key in ("asked", "asked_total", "results"):
                # Its whole list is the console's; the projector shows the top.
                presenter_question.pop(key, None)
            presenter_question["qna"] = {
                "pinned": next((a for a in asked if a["pinned"]), None),
                "top": [a for a in asked if not a["pinned"]][:PRESENTER_ASKED],
                "shown": len(asked),
                "votes": sum(a["votes"]["total"] for a in asked),
            }
    return SessionView(
        version=version,
        phone={
            "type": "snapshot",
            "audience": "phone",
            "version": version,
            "session": header,
            "questions": [on_phone(q) for q in phone_questions],
        },
        presenter={
            "type": "snapshot",
            "audience": "presenter",
            "version": version,
            "session": header,
            "question": presenter_question,
        },
        facilitator={
            "type": "snapshot",
            "audience": "facilitator",
            "version": version,
            "session": header,
            "agenda": [
                {
                    **question_definition(q),
                    "results": cache[q.pk],
                    **({"opinion": opinion(q, dots=False)} if q.kind == K.STATEMENTS else {}),
                }
                for q in questions
            ],
            "moderation": moderation,
            # A flood of joins from one network address (sessions_app.join_limits).
            "joins": {"busiest_network": busiest_network(session_id)},
        },
        question_ids=frozenset(q.pk for q in questions),
        statement_ids=frozenset(q.pk for q in questions if q.kind == K.STATEMENTS),
        positions=(
            (current.pk, maps[current.pk][1]["positions"])
            if current is not None and current.results_revealed and current.pk in maps
            else None
        ),
        waiting=cache.get("waiting"),
    )


def _qna_waiting(session: LiveSession) -> dict[int, tuple]:
    """{asker's participant id: (ids of their questions to the panel that wait for a
    facilitator)}: one query, only for a session with a Q&A round."""
    waiting: dict[int, list] = {}
    for author, asked in (
        Option.objects.filter(
            ASKED_WAITING, question__session=session, question__kind=K.QNA, author__isnull=False
        )
        .order_by("pk")
        .values_list("author_id", "pk")
    ):
        waiting.setdefault(author, []).append(asked)
    return {author: tuple(ids) for author, ids in waiting.items()}
