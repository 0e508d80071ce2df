from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sessions_app.management.base import TranslatedCommand
from sessions_app.services.retention import purge


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Remove what the retention rules no longer allow to keep: form photos after paper "
        "counting closed, written text and facilitators' notes after the process closed, old "
        "phone links. Logs the "
        "counts, never the content. The server runs this once a day."
    )

    def handle(self, *args, **options):
        done = purge()
        if not done:
            self.stdout.write(_("Nothing to remove."))
        for slug, purged in done.items():
            if not slug:  # scans given without a session that name no sheet
                self.stdout.write(
                    _("Scans without a session: %(photos)d photos") % purged.as_json()
                )
                continue
            line = _(
                "%(slug)s: %(photos)d photos, %(pages)d page images, %(texts)d texts, "
                "%(links)d phone links"
            ) % {"slug": slug, **purged.as_json()}
            if purged.notes:
                line += _(", %(notes)d facilitators' notes") % {"notes": purged.notes}
            self.stdout.write(line)
