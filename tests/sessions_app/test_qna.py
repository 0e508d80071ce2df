"""Questions to the panel (issue 21): asking, upvoting once and withdrawing, moderation,
merging duplicates, pinning, hands for paper questions, the panel's answers, and the
evidence that binds all of it. Every refusal changes nothing."""

from datetime import date, timedelta

import pytest

from sessions_app.binding import rows_verify
from sessions_app.exceptions import DesignError, InputRejected
from sessions_app.models import (
    LogEntry,
    Moderation,
    Option,
    PanelAnswer,
    PanelMember,
    Response,
    ResponseStatus,
)
from sessions_app.results import question_results
from sessions_app.selectors import participant_answers
from sessions_app.services import facilitation, participation, qna, texts
from sessions_app.services.processes import panel_replace, process_publish
from sessions_app.specs import PanelMemberSpec

pytestmark = pytest.mark.django_db


def rows() -> tuple[int, ...]:
    return (
        Response.objects.count(),
        LogEntry.objects.count(),
        Option.objects.count(),
        PanelAnswer.objects.count(),
    )


def refused(code: str, call, *args, **kwargs) -> None:
    before = rows()
    with pytest.raises(InputRejected) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code
    assert rows() == before


@pytest.fixture
def panel(process, organiser):
    panel_replace(
        user=organiser,
        process=process,
        panel=[
            PanelMemberSpec("Wethouder De Vries", "wethouder verkeer"),
            PanelMemberSpec("Anna Bakker", "projectleider"),
        ],
    )
    return list(process.panel.all())


@pytest.fixture
def round_(make_question, organiser, panel):
    """An open Q&A round, addressing both panel members; moderation first unless said."""

    def make(**overrides):
        values = {"max_length": 200, "panel": [m.name for m in panel]}
        values.update(overrides)
        question = make_question("qna", **values)
        return facilitation.question_open(user=organiser, question=question)

    return make


@pytest.fixture
def phones(live_session):
    return [
        participation.participant_join(session=live_session, via=via)
        for via in ("room", "room", "remote", "room")
    ]


def ask(phone, question, text, client_id, **kwargs):
    return qna.qna_ask(
        participant=phone, question_id=question.pk, text=text, client_id=client_id, **kwargs
    )


def upvote(phone, asked, client_id, vote="up"):
    return participation.response_submit(
        participant=phone,
        question_id=asked.question_id,
        answer={"statement": asked.pk, "vote": vote},
        client_id=client_id,
    )


def approve(organiser, asked):
    return facilitation.statement_moderate(user=organiser, option=asked, decision="approve")


def entry(process, action):
    return LogEntry.objects.filter(process=process, action=action).order_by("seq").last()


def shown(question):
    question.refresh_from_db()
    return question_results(question=question)["asked"]


def test_a_question_waits_for_moderation_then_takes_upvotes(
    round_, phones, organiser, process, panel
):
    question = round_(qna_names=True)
    asked, created = ask(
        phones[0],
        question,
        "  Komen er\x00 meer fietsenstallingen?  ",
        "ask-id-0001",
        panel_member=panel[0].pk,
        display_name=" Karin ",
    )
    assert created
    assert (asked.text, asked.display_name, asked.panel_member) == (
        "Komen er meer fietsenstallingen?",
        "Karin",
        panel[0],
    )
    assert asked.moderation == Moderation.PENDING
    logged = entry(process, "qna.asked")
    assert logged.data["asked"] == asked.pk
    assert logged.data["panel_member"] == panel[0].pk
    assert logged.data["shown"] is False
    assert logged.data["name_commitment"] and logged.data["text_commitment"]
    assert "Karin" not in str(logged.data) and "fietsen" not in str(logged.data)
    # Held: not on the list, and nobody can upvote it yet.
    assert shown(question) == []
    assert question_results(question=question)["pending"] == 1
    refused("invalid_statement", upvote, phones[1], asked, "up-id-0001")
    # Its asker's phone is told it waits (with its text); nobody else's is.
    assert participant_answers(phones[0])[str(question.pk)] == {
        "own": [asked.pk],
        "waiting": [{"id": asked.pk, "text": "Komen er meer fietsenstallingen?"}],
    }
    assert str(question.pk) not in participant_answers(phones[1])

    approve(organiser, asked)
    assert participant_answers(phones[0])[str(question.pk)] == {"own": [asked.pk]}
    upvote(phones[1], asked, "up-id-0002")
    upvote(phones[2], asked, "up-id-0003")
    [listed] = shown(question)
    assert listed["votes"] == {"room": 1, "remote": 1, "paper": 0, "hands": 0, "total": 2}
    assert listed["name"] == "Karin"
    assert listed["panel_member"]["name"] == "Wethouder De Vries"
    assert listed["source"] == "online"


def test_an_upvote_counts_once_and_can_be_withdrawn(round_, phones, organiser):
    question = round_(qna_premoderate=False)
    asked, _ = ask(phones[0], question, "Wanneer begint de bouw?", "ask-id-0001")
    assert asked.moderation == Moderation.APPROVED  # no moderation first: shown at once
    first = upvote(phones[1], asked, "up-id-0001")
    again = upvote(phones[1], asked, "up-id-0002")  # a second tap: still one vote
    assert shown(question)[0]["votes"]["total"] == 1
    assert again.superseded_id == first.response_id
    # A replayed message gets its first outcome and changes nothing.
    before = rows()
    assert upvote(phones[1], asked, "up-id-0001").status == "duplicate"
    assert rows() == before
    upvote(phones[1], asked, "up-id-0003", vote="withdrawn")
    assert shown(question)[0]["votes"]["total"] == 0
    assert Response.objects.filter(
        participant=phones[1], status=ResponseStatus.COUNTED, number=0
    ).exists()
    upvote(phones[1], asked, "up-id-0004")
    assert shown(question)[0]["votes"]["total"] == 1


def test_upvotes_are_refused_for_ones_own_question_and_when_switched_off(round_, phones):
    question = round_(qna_premoderate=False)
    asked, _ = ask(phones[0], question, "Wanneer begint de bouw?", "ask-id-0001")
    refused("own_question", upvote, phones[0], asked, "up-id-0001")
    # The batch path (the websocket's group commit) refuses it too, alone.
    [own, other] = participation.responses_submit(
        [
            participation.Submission(
                phones[0], question.pk, {"statement": asked.pk, "vote": "up"}, "up-id-0002"
            ),
            participation.Submission(
                phones[1], question.pk, {"statement": asked.pk, "vote": "up"}, "up-id-0003"
            ),
        ]
    )
    assert isinstance(own, InputRejected) and own.code == "own_question"
    assert other.status == "counted"
    refused("invalid_answer", upvote, phones[1], asked, "up-id-0004", vote="agree")

    quiet = round_(qna_premoderate=False, qna_upvotes=False)
    asked_quiet, _ = ask(phones[0], quiet, "Wie beslist?", "ask-id-0002")
    refused("upvotes_off", upvote, phones[1], asked_quiet, "up-id-0005")


def test_bad_questions_are_refused_and_change_nothing(round_, make_question, phones, panel):
    question = round_(max_length=40)
    refused("empty_text", ask, phones[0], question, "  \x00 ", "ask-id-0001")
    refused("text_too_long", ask, phones[0], question, "x" * 41, "ask-id-0002")
    refused(
        "names_not_allowed", ask, phones[0], question, "Vraag?", "ask-id-0003", display_name="K"
    )
    refused(
        "invalid_panel_member", ask, phones[0], question, "Vraag?", "ask-id-0004", panel_member=999
    )
    refused("invalid_answer", ask, phones[0], question, ["Vraag?"], "ask-id-0005")
    refused("invalid_client_id", ask, phones[0], question, "Vraag?", "")
    named = round_(qna_names=True)
    refused("name_too_long", ask, phones[0], named, "Vraag?", "ask-id-0006", display_name="K" * 61)
    # A panel member the round does not address.
    narrow = round_(panel=[panel[1].name])
    refused(
        "invalid_panel_member",
        ask,
        phones[0],
        narrow,
        "Vraag?",
        "ask-id-0007",
        panel_member=panel[0].pk,
    )
    closed = make_question("qna", max_length=100)
    refused("question_not_open", ask, phones[0], closed, "Vraag?", "ask-id-0008")
    choice = make_question("single_choice")
    facilitation.question_open(user=closed.session.process.created_by, question=choice)
    refused("adding_not_allowed", ask, phones[0], choice, "Vraag?", "ask-id-0009")
    full = round_(max_proposals=1)
    ask(phones[0], full, "Eerste?", "ask-id-0010")
    refused("proposals_full", ask, phones[1], full, "Tweede?", "ask-id-0011")
    # A replay returns the first question, even after the round is full.
    assert ask(phones[0], full, "Iets anders", "ask-id-0010")[1] is False


def test_merging_adds_up_votes_once_per_person_and_keeps_both_texts(
    round_, phones, organiser, process
):
    question = round_(qna_premoderate=False)
    first, _ = ask(phones[0], question, "Komt er een zebrapad?", "ask-id-0001")
    duplicate, _ = ask(phones[1], question, "Een oversteekplaats bij de school?", "ask-id-0002")
    upvote(phones[2], first, "up-id-0001")
    upvote(phones[2], duplicate, "up-id-0002")  # upvoted both: counts once after the merge
    upvote(phones[3], duplicate, "up-id-0003")
    upvote(phones[0], duplicate, "up-id-0004")
    qna.qna_pin(user=organiser, question=question, asked=duplicate)

    qna.qna_merge(user=organiser, asked=duplicate, into=first)

    [listed] = shown(question)
    assert listed["id"] == first.pk
    assert listed["votes"]["total"] == 3  # phones 2, 3 and 0
    assert [m["text"] for m in listed["merged"]] == ["Een oversteekplaats bij de school?"]
    assert listed["pinned"]  # the pin moved along with the merge
    logged = entry(process, "qna.merged")
    assert (logged.data["asked"], logged.data["into"]) == (duplicate.pk, first.pk)
    # The duplicate takes no more upvotes; merging it again, or into itself, is refused.
    refused("invalid_statement", upvote, phones[3], duplicate, "up-id-0005")
    refused("merge_invalid", qna.qna_merge, user=organiser, asked=duplicate, into=first)
    refused("merge_invalid", qna.qna_merge, user=organiser, asked=first, into=first)
    assert rows_verify(process=process) is None


def test_only_an_approved_duplicate_is_merged_and_listed(round_, phones, organiser, process):
    """A duplicate's text is published under the question it joins: one waiting for
    moderation (or hidden) cannot be merged, and the results list only approved
    duplicates under a question (also when one was merged before this was checked)."""
    question = round_()  # moderation first
    first, _ = ask(phones[0], question, "Komt er een zebrapad?", "ask-id-0001")
    approve(organiser, first)
    waiting, _ = ask(phones[1], question, "Mijn buurman Jan rijdt te hard", "ask-id-0002")
    hidden, _ = ask(phones[2], question, "Een oversteekplaats?", "ask-id-0003")
    facilitation.statement_moderate(user=organiser, option=hidden, decision="hide", reason="dubbel")
    refused("merge_invalid", qna.qna_merge, user=organiser, asked=waiting, into=first)
    refused("merge_invalid", qna.qna_merge, user=organiser, asked=hidden, into=first)
    assert Option.objects.filter(merged_into=first).count() == 0
    later, _ = ask(phones[3], question, "Een zebrapad bij de school?", "ask-id-0004")
    approve(organiser, later)
    qna.qna_merge(user=organiser, asked=later, into=first)
    assert rows_verify(process=process) is None
    # A waiting duplicate merged before the merge checked it stays out of the list.
    Option.objects.filter(pk__in=[waiting.pk, hidden.pk]).update(merged_into=first)
    [listed] = shown(question)
    assert [m["text"] for m in listed["merged"]] == ["Een zebrapad bij de school?"]


def test_hiding_needs_a_reason_and_hidden_questions_leave_the_list(round_, phones, organiser):
    question = round_(qna_premoderate=False)
    asked, _ = ask(phones[0], question, "Iets kwetsends", "ask-id-0001")
    with pytest.raises(Exception) as caught:
        facilitation.statement_moderate(user=organiser, option=asked, decision="hide")
    assert caught.value.code == "reason_required"
    facilitation.statement_moderate(
        user=organiser, option=asked, decision="hide", reason="persoonlijke aanval"
    )
    assert shown(question) == []
    assert question_results(question=question)["hidden"] == 1
    refused("invalid_statement", upvote, phones[1], asked, "up-id-0001")


def test_the_panels_answers_and_an_overdue_written_promise(
    round_, phones, organiser, process, live_session
):
    question = round_(qna_premoderate=False)
    process_publish(user=organiser, process=process)
    # Opened in the draft without a question asked: a rehearsal, set back at publication.
    question = facilitation.question_open(user=organiser, question=question)
    asked, _ = ask(phones[0], question, "Wanneer begint de bouw?", "ask-id-0001")
    other, _ = ask(phones[1], question, "Wat kost het?", "ask-id-0002")
    refused("answer_mode", qna.qna_answer, user=organiser, asked=asked, mode="maybe")
    refused("answer_text", qna.qna_answer, user=organiser, asked=asked, mode="summary", text=" ")
    refused("answer_due", qna.qna_answer, user=organiser, asked=asked, mode="in_writing")
    qna.qna_answer(
        user=organiser,
        asked=asked,
        mode="summary",
        text="In het voorjaar van 2028.",
        client_id="answer-id-1",
    )
    # A replay of the clerk's form records nothing twice.
    before = rows()
    qna.qna_answer(
        user=organiser, asked=asked, mode="summary", text="anders", client_id="answer-id-1"
    )
    assert rows() == before
    yesterday = date.today() - timedelta(days=1)
    qna.qna_answer(user=organiser, asked=other, mode="in_writing", due=yesterday.isoformat())
    by_id = {a["id"]: a for a in shown(question)}
    assert by_id[asked.pk]["answer"]["mode"] == "summary"
    assert by_id[asked.pk]["answer"]["text"] == "In het voorjaar van 2028."
    assert by_id[other.pk]["answer"] == {
        **by_id[other.pk]["answer"],
        "mode": "in_writing",
        "due": yesterday.isoformat(),
        "overdue": True,
    }

    def said() -> str:  # the report's sentence (and the public page's count)
        from django.utils import translation

        from sessions_app.exports.report_text import outcome

        with translation.override("en"):
            return outcome({"kind": "qna"}, question_results(question=question))

    assert "2 questions to the panel, 1 answered;" in said()  # a promise is no answer yet
    qna.qna_answer(user=organiser, asked=other, mode="written", text="Ongeveer 2,4 miljoen euro.")
    assert "2 questions to the panel, 2 answered;" in said()
    answer = shown(question)
    assert {a["id"]: a["answer"]["mode"] for a in answer}[other.pk] == "written"
    assert not {a["id"]: a["answer"]["overdue"] for a in answer}[other.pk]
    assert entry(process, "qna.answered").data["text"] == "Ongeveer 2,4 miljoen euro."
    assert rows_verify(process=process) is None


def test_hands_stand_in_for_upvotes_on_a_paper_question_only(round_, phones, organiser):
    question = round_(qna_premoderate=False)
    asked, _ = ask(phones[0], question, "Online vraag", "ask-id-0001")
    from sessions_app.services.hands import hand_count_record

    with pytest.raises(InputRejected) as caught:
        hand_count_record(user=organiser, question=question, counts={str(asked.pk): 12})
    assert caught.value.code == "invalid_option"


def test_evidence_names_a_changed_merge_panel_member_or_answer(
    round_, phones, organiser, process, panel
):
    question = round_(qna_premoderate=False, qna_names=True)
    process_publish(user=organiser, process=process)
    # Opened in the draft without a question asked: a rehearsal, set back at publication.
    question = facilitation.question_open(user=organiser, question=question)
    first, _ = ask(phones[0], question, "Vraag een", "ask-id-0001", panel_member=panel[0].pk)
    second, _ = ask(phones[1], question, "Vraag twee", "ask-id-0002", display_name="Piet")
    qna.qna_answer(user=organiser, asked=first, mode="in_room")
    assert rows_verify(process=process) is None

    Option.objects.filter(pk=second.pk).update(merged_into=first)
    problem = rows_verify(process=process)
    assert (problem.table, problem.row_id, problem.field) == ("statement", second.pk, "merged_into")
    Option.objects.filter(pk=second.pk).update(merged_into=None)

    Option.objects.filter(pk=first.pk).update(panel_member=panel[1])
    assert rows_verify(process=process).field == "panel_member"
    Option.objects.filter(pk=first.pk).update(panel_member=panel[0])

    Option.objects.filter(pk=second.pk).update(display_name="Jan")
    assert rows_verify(process=process).field == "display_name"
    Option.objects.filter(pk=second.pk).update(display_name="Piet")
    assert rows_verify(process=process) is None


def test_erasing_a_question_erases_the_askers_name_and_keeps_the_votes(
    round_, phones, process, organiser
):
    question = round_(qna_premoderate=False, qna_names=True)
    asked, _ = ask(
        phones[0], question, "Mijn buurman Jan doet ...", "ask-id-0001", display_name="Els"
    )
    upvote(phones[1], asked, "up-id-0001")
    text_commitment = entry(process, "qna.asked").data["text_commitment"]
    texts.erase(process=process, commitments=[text_commitment], reason="request", actor="system")
    asked.refresh_from_db()
    assert (asked.text, asked.display_name) == ("", "")
    [listed] = shown(question)
    assert listed["votes"]["total"] == 1
    assert rows_verify(process=process) is None


def test_the_panel_keeps_members_who_were_addressed(round_, phones, organiser, process, panel):
    question = round_(qna_premoderate=False)
    ask(phones[0], question, "Vraag", "ask-id-0001", panel_member=panel[0].pk)
    with pytest.raises(DesignError):
        panel_replace(user=organiser, process=process, panel=[PanelMemberSpec("Anna Bakker")])
    panel_replace(
        user=organiser,
        process=process,
        panel=[PanelMemberSpec("Wethouder De Vries", "wethouder"), PanelMemberSpec("Nieuw")],
    )
    assert list(PanelMember.objects.filter(process=process).values_list("name", "role")) == [
        ("Wethouder De Vries", "wethouder"),
        ("Nieuw", ""),
    ]
    assert entry(process, "process.panel_edited").data["after"][1] == {"name": "Nieuw", "role": ""}


def test_the_ended_sessions_summary_counts_questions_asked_not_answers(
    round_, phones, organiser, live_session, client
):
    """A Q&A round takes questions, not answers: the console's summary and the session
    report say how many were asked, not "0 answers" under its own title twice."""
    from django.urls import reverse

    question = round_(qna_premoderate=False)
    ask(phones[0], question, "Komt er een zebrapad?", "ask-id-0101")
    ask(phones[1], question, "Blijven de bomen staan?", "ask-id-0102")
    facilitation.session_end(user=organiser, session=live_session)
    client.force_login(organiser)
    client.cookies["django_language"] = "en"
    slug = live_session.process.slug
    console = client.get(reverse("live:console", args=[slug, live_session.pk])).content.decode()
    assert f"{question.text}: 2 questions asked." in console
    summary = console.split('class="table compact summary-questions"')[1].split("</table>")[0]
    assert question.text not in summary
    report = client.get(reverse("designer:session_report", args=[slug, live_session.pk]))
    assert f"{question.text}: 2 questions asked." in report.content.decode()
