from django.utils.translation import gettext_lazy

from sessions_app.management.base import TranslatedCommand
from sessions_app.services.printing import render_batch


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Make the PDF of a print run (started by the paper page; runs in the background)."
    )

    def add_arguments(self, parser):
        parser.add_argument("batch", type=int)
        parser.add_argument("--base-url", required=True)

    def handle(self, *args, batch: int, base_url: str, **options):
        render_batch(batch, base_url)
