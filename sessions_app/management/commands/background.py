import argparse

from django.utils.translation import gettext_lazy

from sessions_app.management.base import TranslatedCommand
from sessions_app.services.background import run_queued


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Run a queued background job and then the next ones (started by the server itself, "
        "with a slot of BACKGROUND_PROCESSES; not for use by hand)."
    )
    # Started for every job: Django's system checks would add their time to each.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--slot-fd", type=int, required=True)
        parser.add_argument("--entry-fd", type=int, required=True)
        parser.add_argument("job", nargs=argparse.REMAINDER)

    def handle(self, *args, slot_fd: int, entry_fd: int, job: list[str], **options):
        run_queued(job, slot=slot_fd, entry=entry_fd)
