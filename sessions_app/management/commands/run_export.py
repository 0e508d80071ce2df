from django.utils.translation import gettext_lazy

from sessions_app.management.base import TranslatedCommand
from sessions_app.services.exports import run_export


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Write a council output requested on the process page (runs in the background)."
    )

    def add_arguments(self, parser):
        parser.add_argument("job", type=int)

    def handle(self, *args, job: int, **options):
        done = run_export(job)
        self.stdout.write(f"{done.pk} {done.state} {done.file}")
