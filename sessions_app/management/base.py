"""The base of Inspraak's management commands."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class TranslatedCommand(BaseCommand):
    """A command whose help texts may be lazy translations (``gettext_lazy``): argparse
    formats them with regular expressions, which take plain strings only, so they are
    made plain once the parser is built, in the language then active."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        if self.help:
            self.help = str(self.help)
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        for action in parser._actions:
            if action.help is not None:
                action.help = str(action.help)
        return parser
