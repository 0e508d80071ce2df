from django.core.management.base import CommandError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from sessions_app.exceptions import InputRejected
from sessions_app.identifiers import receipt_hash
from sessions_app.management.base import TranslatedCommand
from sessions_app.models import ErasureReason, LogEntry, Process, TextContent
from sessions_app.services import texts
from sessions_app.services.log import SYSTEM


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Erase written text of a process (an erasure request under the AVG/GDPR): the text "
        "is emptied everywhere and the log records the erasure; the counts stay."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument(
            "--receipt",
            metavar="CODE",
            help=gettext_lazy("every text of the answer (or paper form) with this receipt"),
        )
        which.add_argument("--response", type=int, metavar="ID", help=gettext_lazy("an answer"))
        which.add_argument(
            "--statement", type=int, metavar="ID", help=gettext_lazy("a proposed statement")
        )
        which.add_argument(
            "--commitment", metavar="HEX", help=gettext_lazy("a text by its commitment")
        )
        parser.add_argument(
            "--reason",
            choices=ErasureReason.values,
            default=ErasureReason.REQUEST,
            help=gettext_lazy("why: request (default), moderation or retention"),
        )

    def handle(self, *args, slug, receipt, response, statement, commitment, reason, **options):
        process = Process.objects.filter(slug=slug).first()
        if process is None:
            raise CommandError(_("No process with slug “%(slug)s”.") % {"slug": slug})
        kept = TextContent.objects.filter(process=process)
        if receipt is not None:
            responses, statements = self._of_receipt(process, receipt)
            kept = kept.filter(Q(response_id__in=responses) | Q(option_id__in=statements))
        elif response is not None:
            kept = kept.filter(response_id=response)
        elif statement is not None:
            kept = kept.filter(option_id=statement)
        else:
            kept = kept.filter(commitment=commitment)
        found = list(kept.values_list("commitment", flat=True))
        if not found:
            raise CommandError(_("No kept text of this process matches."))
        try:
            erased = texts.erase(process=process, commitments=found, reason=reason, actor=SYSTEM)
        except InputRejected as error:
            raise CommandError(error.code) from None
        self.stdout.write(
            ngettext(
                "Erased %(n)d text; the log records it, the counts stay.",
                "Erased %(n)d texts; the log records them, the counts stay.",
                len(erased),
            )
            % {"n": len(erased)}
        )

    def _of_receipt(self, process, code):
        wanted = receipt_hash(code)
        entry = LogEntry.objects.filter(process=process, receipt=wanted).first() if wanted else None
        if entry is None or entry.data.get("receipt") != wanted:
            raise CommandError(_("No answer in this process has that receipt."))
        responses = entry.data.get("responses") or [entry.data.get("response")]
        # A paper form's proposed statements were logged with the form's code.
        sheet = entry.data.get("sheet")
        statements = (
            [
                e["statement"]
                for e in LogEntry.objects.filter(
                    process=process, action="statement.proposed", data__sheet=sheet
                ).values_list("data", flat=True)
            ]
            if sheet
            else []
        )
        return [r for r in responses if r], statements
