from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sessions_app.exports.polis import polis_files
from sessions_app.management.base import TranslatedCommand
from sessions_app.models import Question, QuestionKind


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Write a statements question as a Polis conversation export (comments.csv, "
        "votes.csv, participants-votes.csv, summary.csv) into a folder."
    )

    def add_arguments(self, parser):
        parser.add_argument("question", type=int, help=gettext_lazy("the question's id"))
        parser.add_argument("directory", type=Path)

    def handle(self, *args, question: int, directory: Path, **options):
        found = Question.objects.filter(pk=question, kind=QuestionKind.STATEMENTS).first()
        if found is None:
            raise CommandError(_("No statements question %(id)s.") % {"id": question})
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in polis_files(found).items():
            (directory / name).write_text(text, encoding="utf-8")
        self.stdout.write(str(directory))
