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
            responses, statements, reasons = self._of_receipt(process, receipt)
            kept = kept.filter(
                Q(response_id__in=responses)
                | Q(option_id__in=statements)
                | Q(commitment__in=reasons)
            )
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
            raise CommandError(error.message) from None
        self.stdout.write(
            ngettext(
                "Erased %(n)d text; the log records it, the counts stay.",
                "Erased %(n)d texts; the log records them, the counts stay.",
                len(erased),
            )
            % {"n": len(erased)}
        )

    def _of_receipt(self, process, code):
        """What a receipt names: the answers (a phone's answer and every earlier answer of
        its chain of ``supersedes``; a paper form's answers), the statements and questions
        to the panel written on the form, and the form's void reason's commitment."""
        wanted = receipt_hash(code)
        entry = LogEntry.objects.filter(process=process, receipt=wanted).first() if wanted else None
        if entry is None or entry.data.get("receipt") != wanted:
            raise CommandError(_("No answer in this process has that receipt."))
        responses = entry.data.get("responses") or [entry.data.get("response")]
        responses = [r for r in responses if r] + self._earlier(process, entry)
        sheet = entry.data.get("sheet")
        if not sheet:
            return responses, [], []
        # A paper form's proposed statements and questions to the panel were logged with
        # the form's code, and so was the reason it was voided.
        statements, reasons = [], []
        for action, data in LogEntry.objects.filter(
            process=process,
            action__in=["statement.proposed", "qna.asked", "paper.voided"],
            data__sheet=sheet,
        ).values_list("action", "data"):
            if action == "paper.voided":
                if data.get("reason_commitment"):
                    reasons.append(data["reason_commitment"])
            else:
                statements.append(data["asked" if action == "qna.asked" else "statement"])
        return responses, statements, reasons

    @staticmethod
    def _earlier(process, entry) -> list[int]:
        """The phone's earlier answers that the receipt's answer replaced, one after the
        other (each ``response.counted`` or ``response.held`` names the one it
        ``supersedes``: the same participant's)."""
        participant = entry.data.get("participant")
        found, seen = [], {entry.pk}
        while (earlier := entry.data.get("supersedes")) is not None:
            entry = (
                LogEntry.objects.filter(
                    process=process,
                    action__in=["response.counted", "response.held"],
                    data__response=earlier,
                )
                .exclude(pk__in=seen)
                .first()
            )
            if entry is None or entry.data.get("participant") != participant:
                break
            found.append(earlier)
            seen.add(entry.pk)
        return found
