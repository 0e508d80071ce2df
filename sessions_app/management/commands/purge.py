from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sessions_app.management.base import TranslatedCommand
from sessions_app.services.retention import purge


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Remove what the retention rules no longer allow to keep: form photos after paper "
        "counting closed, written text after the process closed, old phone links. Logs the "
        "counts, never the content. The server runs this once a day."
    )

    def handle(self, *args, **options):
        done = purge()
        if not done:
            self.stdout.write(_("Nothing to remove."))
        for slug, purged in done.items():
            self.stdout.write(
                _(
                    "%(slug)s: %(photos)d photos, %(pages)d page images, %(texts)d texts, "
                    "%(links)d phone links"
                )
                % {"slug": slug, **purged.as_json()}
            )
