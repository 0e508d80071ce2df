"""System checks of this installation's settings (``manage.py check --deploy``)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register

DUMMY = "django.core.mail.backends.dummy.EmailBackend"
CONSOLE = "django.core.mail.backends.console.EmailBackend"


@register(Tags.security, deploy=True)
def mail_server_check(app_configs=None, **kwargs) -> list[Warning]:
    """No mail server: password reset mails are dropped (outside ``DEBUG`` the settings
    fall back to the dummy backend, never to the console, whose output is the journal)."""
    backend = settings.EMAIL_BACKEND
    if backend == DUMMY:
        return [
            Warning(
                "No mail server is configured: password reset mails are not sent.",
                hint="Set EMAIL_URL (or EMAIL_HOST and its companions); see docs/accounts.md.",
                id="sessions_app.W001",
            )
        ]
    if backend == CONSOLE:
        return [
            Warning(
                "Mails are printed on standard output: reset links and addresses would "
                "land in the server's log.",
                hint="Set EMAIL_URL to a mail server (smtp://…); see docs/accounts.md.",
                id="sessions_app.W002",
            )
        ]
    return []
