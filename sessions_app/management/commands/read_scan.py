from django.utils.translation import gettext_lazy

from sessions_app.management.base import TranslatedCommand
from sessions_app.models import FormScan
from sessions_app.services.reading import scan_read


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Read the forms in an uploaded scan (started by the paper page; runs in the background)."
    )

    def add_arguments(self, parser):
        parser.add_argument("scan", type=int)

    def handle(self, *args, scan: int, **options):
        found = FormScan.objects.select_related("created_by").get(pk=scan)
        scan_read(found, user=found.created_by)
