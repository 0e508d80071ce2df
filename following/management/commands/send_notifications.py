from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from following import mail, wake
from sessions_app.management.base import TranslatedCommand


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Send the mails of following by e-mail that are due: confirmation links, and the "
        "news of followed processes, batched and rate-limited (MAIL_BATCH, MAIL_RATE, "
        "MAIL_PER_RUN); with work left, queue itself again. The server starts it."
    )

    def add_arguments(self, parser):
        # The job's second name in the background queue (``following.wake``).
        parser.add_argument("turn", nargs="?", choices=["1"], help=gettext_lazy("internal"))
        parser.add_argument(
            "--no-requeue",
            action="store_true",
            help=gettext_lazy("do not queue another run when work is left"),
        )

    def handle(self, *args, turn=None, no_requeue=False, **options):
        mail.hold_sender_lock()
        try:
            outcome = mail.run()
        except mail.MailServerError as error:
            raise CommandError(_("The mail server failed: %(kind)s") % {"kind": error}) from None
        self.stdout.write(
            _(
                "%(confirmations)d confirmation mails and %(news)d news mails sent, "
                "%(refused)d refused, %(deferred)d deferred"
            )
            % {
                "confirmations": outcome.confirmations,
                "news": outcome.news,
                "refused": outcome.refused,
                "deferred": outcome.deferred,
            }
        )
        if outcome.more and not no_requeue:
            wake.requeue(("send_notifications", turn) if turn else ("send_notifications",))
