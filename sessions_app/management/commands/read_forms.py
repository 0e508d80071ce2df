import json
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sessions_app.exceptions import InputRejected
from sessions_app.identifiers import normalise_code
from sessions_app.management.base import TranslatedCommand
from sessions_app.models import FormScan, LiveSession
from sessions_app.services.reading import scan_add, scan_read
from sessions_app.views.reading_words import capture_hint, outcome_message


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Read filled paper forms from photos (JPEG, PNG) or scanned PDFs and count them: "
        "sure readings become entries, unsure ones go to the review queue."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, help=gettext_lazy("photos or PDFs"))
        parser.add_argument(
            "--session",
            default="",
            help=gettext_lazy("only forms of the session with this join code"),
        )
        parser.add_argument(
            "--json", action="store_true", help=gettext_lazy("one JSON object per page")
        )

    def handle(self, *args, files, session, json: bool, **options):
        live = None
        if session:
            live = LiveSession.objects.filter(join_code=normalise_code(session)).first()
            if live is None:
                raise CommandError(_("There is no session with this code."))
        results = []
        for path in files:
            try:
                data = path.read_bytes()
            except OSError as error:
                raise CommandError(f"{path}: {error.strerror}") from None
            try:
                scan = scan_add(
                    user=None,
                    session=live,
                    data=data,
                    name=path.name,
                    origin=FormScan.Origin.COMMAND,
                )
            except InputRejected as refused:
                results.append(
                    {
                        "file": str(path),
                        "page": None,
                        "sheet": None,
                        "form_page": None,
                        "status": "refused",
                        "reason": refused.code,
                        "detail": None,
                        "missing_pages": [],
                        "capture": None,
                        "answers": {},
                    }
                )
                if not json:
                    self.stdout.write(f"{path}: {refused.message}")
                continue
            for outcome in scan_read(scan):
                results.append({"file": str(path), **outcome.as_json()})
                if not json:
                    hint = capture_hint(outcome.capture) if outcome.status != "refused" else ""
                    line = f"{path} p.{outcome.index + 1}: {outcome_message(outcome)}"
                    self.stdout.write(f"{line} {hint}" if hint else line)
        if json:
            for row in results:
                self.stdout.write(_dumps(row))


def _dumps(row: dict) -> str:
    return json.dumps(row, ensure_ascii=False, sort_keys=True)
