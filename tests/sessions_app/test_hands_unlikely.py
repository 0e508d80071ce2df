"""A show of hands far beyond what the room has shown (``hands.hands_unlikely``: at least
200, more than 10 times the phones that joined plus the paper forms entered, and more
than twice the largest show of hands recorded for another question) is not
recorded but asked about, in the service, the console's plain form and its websocket
(``tests/realtime/test_hands_unlikely.py``); confirmed, it is recorded as usual."""

from __future__ import annotations

import lxml.html
import pytest
from django.urls import reverse

from sessions_app.exceptions import InputRejected
from sessions_app.models import HandCount, LogEntry, Role
from sessions_app.services import facilitation, hands, participation
from sessions_app.services.paper import sheet_entry_record
from sessions_app.services.print_runs import print_batch_create
from sessions_app.services.printing import form_layout
from sessions_app.services.processes import process_publish
from tests.sessions_app.test_console_refused_forms import round_  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(organiser, live_session, make_question, make_user, grant):
    """A choice open in a room where five phones joined; a facilitator."""
    choice = make_question("single_choice")
    process_publish(user=organiser, process=live_session.process)
    facilitation.question_open(user=organiser, question=choice)
    for _ in range(5):
        participation.participant_join(session=live_session, via="room")
    facilitator = make_user("fenna")
    grant(live_session.process, facilitator, Role.FACILITATOR)
    live_session.refresh_from_db()
    return live_session, choice, facilitator


def options(question) -> list[int]:
    return list(question.options.order_by("position").values_list("pk", flat=True))


def recorded() -> tuple[int, int]:
    return LogEntry.objects.count(), HandCount.objects.count()


# --- The rule ----------------------------------------------------------------------------


def test_the_rule_at_least_200_and_more_than_ten_times_the_room():
    unlikely = hands.hands_unlikely
    empty, five, forty = (
        {"phones": 0, "paper": 0},
        {"phones": 5, "paper": 0},
        {"phones": 30, "paper": 10},
    )
    assert not unlikely(199, empty) and unlikely(200, empty)
    assert not unlikely(50, five) and not unlikely(199, five) and unlikely(200, five)
    assert unlikely(1500, five)
    assert not unlikely(400, forty) and unlikely(401, forty)
    # A show of hands already recorded tells the room's size too: twice it is plausible.
    hall = {"phones": 0, "paper": 0, "hands": 250}
    assert not unlikely(500, hall) and unlikely(501, hall)


# --- The service -------------------------------------------------------------------------


def test_a_typo_is_refused_without_confirmation_and_nothing_is_stored(room):
    _session, choice, facilitator = room
    first, second, _third = options(choice)
    before = recorded()
    with pytest.raises(InputRejected) as caught:
        hands.hand_count_record(
            user=facilitator, question=choice, counts={str(first): 1500, str(second): 3}
        )
    assert caught.value.code == "hands_unlikely"
    assert caught.value.params == {"total": 1503, "phones": 5, "paper": 0}
    assert caught.value.message == (
        "1,503 hands in all: far more than this room has shown (phones joined: 5; paper "
        "forms entered: 0). Nothing was recorded. Check the numbers; if they are right, "
        "confirm to record them."
    )
    assert recorded() == before


def test_confirmed_it_is_recorded_as_usual(room):
    _session, choice, facilitator = room
    first, _second, _third = options(choice)
    [row] = hands.hand_count_record(
        user=facilitator, question=choice, counts={str(first): 1500}, confirmed=True
    )
    assert (row.option_id, row.count) == (first, 1500)
    assert LogEntry.objects.filter(action="hands.counted").count() == 1
    # The same count again, or a correction downwards, is not asked about again.
    assert (
        hands.hand_count_record(user=facilitator, question=choice, counts={str(first): 1500}) == []
    )
    [lower] = hands.hand_count_record(user=facilitator, question=choice, counts={str(first): 1200})
    assert (lower.count, lower.replaces_id) == (1200, row.pk)
    # Upwards again it is.
    with pytest.raises(InputRejected) as caught:
        hands.hand_count_record(user=facilitator, question=choice, counts={str(first): 1300})
    assert caught.value.code == "hands_unlikely"


def test_a_plausible_count_is_stored_without_confirmation(room):
    _session, choice, facilitator = room
    first, second, third = options(choice)
    created = hands.hand_count_record(
        user=facilitator, question=choice, counts={str(first): 15, str(second): 20}
    )
    assert sorted(row.count for row in created) == [15, 20]
    # 199 is under the floor, whatever the room.
    [row] = hands.hand_count_record(user=facilitator, question=choice, counts={str(third): 199})
    assert row.count == 199


def test_a_hall_counted_by_hands_confirms_its_first_large_count(room, organiser, make_question):
    """The largest show of hands recorded for another question tells the room's size:
    after 250 confirmed, 300 on the next question is plausible; 3000, a typo, is not."""
    session, choice, facilitator = room
    hands.hand_count_record(
        user=facilitator, question=choice, counts={str(options(choice)[0]): 250}, confirmed=True
    )
    scale = make_question("scale")
    facilitation.question_open(user=organiser, question=scale)
    assert hands.hands_room(session, besides=scale) == {"phones": 5, "paper": 0, "hands": 250}
    [row] = hands.hand_count_record(user=facilitator, question=scale, counts={"3": 300})
    assert row.count == 300
    other = make_question("single_choice")
    facilitation.question_open(user=organiser, question=other)
    before = recorded()
    with pytest.raises(InputRejected) as caught:
        hands.hand_count_record(
            user=facilitator, question=other, counts={str(options(other)[0]): 3000}
        )
    assert caught.value.code == "hands_unlikely"
    assert recorded() == before
    # A question's own earlier count is not evidence for itself.
    assert hands.hands_room(session, besides=choice)["hands"] == 300


def test_in_a_qna_round_each_question_asked_on_paper_is_a_show_of_its_own(round_, organiser):  # noqa: F811
    """A round's hands are per asked question: 150 for each of two is a room of 150,
    not of 300, so that a later typo of 350 is still asked about."""
    from sessions_app.models import Option

    session, question = round_
    asked = list(Option.objects.filter(question=question).order_by("pk")[:2])
    assert len(asked) == 2
    for option in asked:
        HandCount.objects.create(question=question, option=option, count=150, entered_by=organiser)
    assert hands.hands_room(session)["hands"] == 150
    assert hands.hands_unlikely(350, hands.hands_room(session))


def test_the_hard_limits_stay_first(room):
    _session, choice, facilitator = room
    first, _second, _third = options(choice)
    for bad in (100_001, -1):
        with pytest.raises(InputRejected) as caught:
            hands.hand_count_record(
                user=facilitator, question=choice, counts={str(first): bad}, confirmed=True
            )
        assert caught.value.code == "hands_invalid"
    assert HandCount.objects.count() == 0


def test_paper_forms_entered_count_towards_the_room(room, organiser, make_user, grant):
    session, choice, facilitator = room
    first, _second, _third = options(choice)
    layout = form_layout(session=session, large_print=False)
    sheets = list(
        print_batch_create(
            user=organiser, session=session, count=20, layout=layout, with_cards=False
        ).sheets.order_by("serial")
    )
    teller = make_user("tom")
    grant(session.process, teller, Role.TELLER)
    # Printed forms are not the room; entered ones are: 5 phones and 15 forms, 200 is fine.
    assert hands.hands_room(session) == {"phones": 5, "paper": 0, "hands": 0}
    for n, sheet in enumerate(sheets[:15]):
        sheet_entry_record(
            user=teller,
            sheet=sheet,
            answers={str(choice.pk): {"option": first}},
            client_id=f"entry-{n:08d}",
        )
    assert hands.hands_room(session) == {"phones": 5, "paper": 15, "hands": 0}
    [row] = hands.hand_count_record(user=facilitator, question=choice, counts={str(first): 200})
    assert row.count == 200


def test_over_the_console_command_confirm_records_it(room):
    session, choice, facilitator = room
    first, _second, _third = options(choice)
    message = {"command": "hands", "question": choice.pk, "counts": {str(first): 1500}}
    with pytest.raises(InputRejected) as caught:
        facilitation.console_command(user=facilitator, session_id=session.pk, message=message)
    assert caught.value.code == "hands_unlikely" and HandCount.objects.count() == 0
    facilitation.console_command(
        user=facilitator, session_id=session.pk, message={**message, "confirm": True}
    )
    assert list(HandCount.objects.values_list("count", flat=True)) == [1500]


# --- The console's plain form ------------------------------------------------------------


def console_urls(session) -> tuple[str, str]:
    slug = session.process.slug
    return (
        reverse("live:console", args=[slug, session.pk]),
        reverse("live:console_action", args=[slug, session.pk]),
    )


def test_the_plain_form_asks_then_records_with_yes(client, room):
    session, choice, facilitator = room
    first, second, third = options(choice)
    client.force_login(facilitator)
    client.cookies["django_language"] = "en"
    console, action = console_urls(session)
    typed = {
        "command": "hands",
        "question": choice.pk,
        f"hands_{first}": "1500",
        f"hands_{second}": "3",
        f"hands_{third}": "",
    }
    before = recorded()
    response = client.post(action, typed)
    assert response.status_code == 400
    assert recorded() == before
    page = lxml.html.fromstring(response.content.decode())
    [form] = page.xpath(f"//form[@data-form='hands-{choice.pk}']")
    # As typed, with the typed total beside the room's numbers, focused.
    values = [form.xpath(f".//input[@name='hands_{pk}']")[0].get("value") for pk in options(choice)]
    assert values == ["1500", "3", ""]
    error = page.get_element_by_id(f"hands-error-{choice.pk}")
    assert " ".join(error.text_content().split()) == (
        "Error: 1,503 hands in all: far more than this room has shown (phones joined: 5; "
        "paper forms entered: 0). Nothing was recorded. Check the numbers; if they are "
        "right, confirm to record them."
    )
    assert error.get("autofocus") is not None
    buttons = form.xpath(".//button[@type='submit']")
    assert [" ".join(b.text_content().split()) for b in buttons] == [
        f"Save hands: {choice.text}",
        f"Yes, record it: {choice.text}",
    ]
    # "Save hands" comes first: Enter in a field does not confirm.
    yes = buttons[1]
    assert (yes.get("name"), yes.get("value")) == ("confirm_hands", "1503")

    # "Yes" for numbers changed since it was asked confirms nothing: asked again.
    changed = client.post(action, {**typed, f"hands_{first}": "2500", "confirm_hands": "1503"})
    assert changed.status_code == 400 and recorded() == before
    again = lxml.html.fromstring(changed.content.decode())
    assert again.xpath("//button[@name='confirm_hands']/@value") == ["2503"]

    response = client.post(action, {**typed, "confirm_hands": "1503"})
    assert response.status_code == 302 and response.url == f"{console}#q-{choice.pk}"
    assert sorted(HandCount.objects.values_list("count", flat=True)) == [3, 1500]
    # The console shows the counts that stand, and asks nothing.
    page = lxml.html.fromstring(client.get(console).content.decode())
    assert page.get_element_by_id(f"h{choice.pk}-{first}").get("value") == "1500"
    assert not page.xpath("//button[@name='confirm_hands']")


def test_the_plain_form_records_a_plausible_count_at_once(client, room):
    session, choice, facilitator = room
    first, _second, _third = options(choice)
    client.force_login(facilitator)
    _console, action = console_urls(session)
    response = client.post(
        action, {"command": "hands", "question": choice.pk, f"hands_{first}": "15"}
    )
    assert response.status_code == 302
    assert list(HandCount.objects.values_list("count", flat=True)) == [15]


def test_the_question_in_dutch_writes_the_figures_the_dutch_way(client, room):
    session, choice, facilitator = room
    first, _second, _third = options(choice)
    client.force_login(facilitator)
    client.cookies["django_language"] = "nl"
    _console, action = console_urls(session)
    response = client.post(
        action, {"command": "hands", "question": choice.pk, f"hands_{first}": "1500"}
    )
    page = lxml.html.fromstring(response.content.decode())
    error = " ".join(page.get_element_by_id(f"hands-error-{choice.pk}").text_content().split())
    assert "1.500" in error and "1,500" not in error
    # The button's value is the plain number the form posts back.
    assert page.xpath("//button[@name='confirm_hands']/@value") == ["1500"]


def test_hands_for_a_question_asked_on_paper_ask_the_same(client, round_):  # noqa: F811
    """In a round of questions to the panel, the hands for a question asked on a paper
    card: the same rule, its own small form with "Yes, record it"."""
    from sessions_app.models import Option

    live_session, question = round_
    paper = Option.objects.get(question=question, sheet__isnull=False)
    client.cookies["django_language"] = "en"
    _console, action = console_urls(live_session)
    typed = {"command": "hands", "question": question.pk, f"hands_{paper.pk}": "300"}
    response = client.post(action, typed)
    assert response.status_code == 400 and HandCount.objects.count() == 0
    page = lxml.html.fromstring(response.content.decode())
    [form] = page.xpath(f"//form[@data-form='hands-{question.pk}-{paper.pk}']")
    error = " ".join(form.xpath(".//p[@class='field-error']")[0].text_content().split())
    assert error.startswith("Error: 300 hands in all: far more than this room has shown")
    assert "(phones joined: 1; paper forms entered: 1)" in error
    assert form.xpath(".//button[@name='confirm_hands']/@value") == ["300"]
    response = client.post(action, {**typed, "confirm_hands": "300"})
    assert response.status_code == 302
    assert list(HandCount.objects.values_list("option_id", "count")) == [(paper.pk, 300)]
