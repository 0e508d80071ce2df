"""Votes on a statements question for tests: camps of participants who each vote the
same way on every statement, through the services (as phones do)."""

from itertools import count

from sessions_app.services.participation import participant_join, response_submit

_ids = count(10_000)


def vote_all(session, question, camps, *, via: str = "room") -> list:
    """Each camp is (how many people, their vote on every statement: "agree",
    "disagree" or "pass"); returns the new participants."""
    statements = list(question.options.order_by("position").values_list("pk", flat=True))
    people = []
    for size, vote in camps:
        for _ in range(size):
            phone = participant_join(session=session, via=via)
            for statement in statements:
                response_submit(
                    participant=phone,
                    question_id=question.pk,
                    answer={"statement": statement, "vote": vote},
                    client_id=f"statement-vote-{next(_ids):07d}",
                )
            people.append(phone)
    return people
