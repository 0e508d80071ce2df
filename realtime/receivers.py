"""Domain signals in, dirty marks out. Receivers never build or send snapshots."""

from django.dispatch import receiver

from sessions_app.models import LiveSession
from sessions_app.signals import process_changed, question_changed, session_changed

from .broadcaster import notify

#: Changes that alter only the results of their question: an answer, a counted paper
#: form, a show of hands. The broadcaster then reads only those results again.
COUNT_ACTIONS = frozenset({"response", "paper", "hands"})


@receiver(question_changed)
def on_question_changed(sender, *, session_id, question_id, action="", **kwargs):
    notify(session_id, question_id, counts_only=action in COUNT_ACTIONS)


@receiver(session_changed)
def on_session_changed(sender, *, session_id, **kwargs):
    notify(session_id, None)


@receiver(process_changed)
def on_process_changed(sender, *, process_id, **kwargs):
    for session_id in LiveSession.objects.filter(process_id=process_id).values_list(
        "pk", flat=True
    ):
        notify(session_id, None)
