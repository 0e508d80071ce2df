"""Domain signals in, dirty marks out. Receivers never build or send snapshots."""

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from sessions_app.models import LiveSession
from sessions_app.signals import (
    account_changed,
    process_changed,
    question_changed,
    session_changed,
)

from .broadcaster import notify, recheck_consoles

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


@receiver(account_changed)
def on_account_changed(sender, *, user_id, process_id=None, **kwargs):
    recheck_consoles(user_id, process_id)


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def on_account_saved(sender, instance, created, update_fields=None, **kwargs):
    """An account saved (deactivated, its password changed or reset, its rights edited in
    the admin): its open consoles look at it again once that commits. Not for a login's
    ``last_login``, which takes nothing away."""
    if created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return
    transaction.on_commit(lambda: recheck_consoles(instance.pk))
