from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sessions_app.exports.data import site_address
from sessions_app.management.base import TranslatedCommand
from sessions_app.services.exports import run_export


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Write a council output requested on the process page (runs in the background)."
    )

    def add_arguments(self, parser):
        parser.add_argument("job", type=int)
        parser.add_argument(
            "--base-url",
            default="",
            help=gettext_lazy(
                "address the export was asked for from, for its links when SITE_URL is not set"
            ),
        )

    def handle(self, *args, job: int, base_url: str = "", **options):
        if base_url and not site_address(base_url):
            raise CommandError(
                _("--base-url must be an address such as https://inspraak.example.nl")
            )
        done = run_export(job, base_url)
        self.stdout.write(f"{done.pk} {done.state} {done.file}")
