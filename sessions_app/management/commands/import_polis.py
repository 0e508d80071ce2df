from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sessions_app.exceptions import DesignError
from sessions_app.management.base import TranslatedCommand
from sessions_app.models import Language
from sessions_app.opinion.polis import PolisFormatError
from sessions_app.services.polis_import import polis_import


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Create a process from a Polis conversation export (comments.csv, votes.csv) and "
        "print its slug."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument(
            "--organiser", help=gettext_lazy("user name of the staff account to organise it")
        )
        parser.add_argument(
            "--language",
            choices=Language.values,
            default=Language.EN,
            help=gettext_lazy("the conversation's language (default: en)"),
        )

    def handle(self, *args, directory: Path, organiser=None, language="en", **options):
        user = None
        if organiser:
            user = get_user_model().objects.filter(username=organiser).first()
            if user is None:
                raise CommandError(_("No staff account “%(name)s”.") % {"name": organiser})
        # The progress lines in the command's own language (the site's, Dutch), also
        # while the import itself speaks the conversation's.
        self._language = translation.get_language()
        try:
            process = polis_import(
                directory=directory, user=user, language=language, on_progress=self._progress
            )
        except PolisFormatError as error:
            raise CommandError(
                _("Nothing was imported. %(problem)s") % {"problem": error}
            ) from None
        except DesignError as error:
            problems = "; ".join(str(p) for p in error.problems) or error.message
            raise CommandError(
                _("Nothing was imported. %(problem)s") % {"problem": problems}
            ) from None
        self.stdout.write(process.slug)

    def _progress(self, step: str, done: int, total: int | None) -> None:
        """How far the import is, on standard error (standard output is the slug)."""
        with translation.override(self._language):
            self.stderr.write(self._progress_line(step, done, total))

    @staticmethod
    def _progress_line(step: str, done: int, total: int | None) -> str:
        if total is None:
            line = _("%(file)s: %(rows)s rows read") % {"file": step, "rows": f"{done:,}"}
        else:
            line = _("votes written: %(done)s of %(total)s") % {
                "done": f"{done:,}",
                "total": f"{total:,}",
            }
        return line
