"""Forms of the staff account pages: a second-factor code, and a password reset for one
account (the admin's action)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The six digits your authenticator app shows, or one of your backup codes."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autofocus": True,
                "class": "code-input",
            }
        ),
    )


class ConfirmCodeForm(CodeForm):
    """The first code of a new authenticator: digits only."""

    code = forms.CharField(
        label=_("Code from the app"),
        max_length=12,
        help_text=_("The six digits the app shows for Inspraak now."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "class": "code-input"}
        ),
    )


class OneAccountPasswordResetForm(PasswordResetForm):
    """Django's reset mail, sent to one chosen account (not to every account that shares
    its address): the admin's action. Unlike the public form it also mails an active
    account that has no usable password yet, which is how an account made without one
    (docs/accounts.md) gets its first password. A mail the server refuses is logged by
    Django."""

    def __init__(self, account, *args, **kwargs):
        self.account = account
        super().__init__({"email": account.email}, *args, **kwargs)

    def get_users(self, email):
        account = self.account
        if account.is_active and account.email:
            yield account
