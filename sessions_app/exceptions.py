"""Domain errors. Every error has a stable ``code`` (tests and clients rely on it) and a
translatable message.

The codes, by area:

* ``DesignError`` (designing processes, sessions and questions): ``design_invalid`` (with
  a list of problems), ``option_has_responses``, ``question_locked``,
  ``kind_locked``, ``session_has_activity``, ``process_incomplete``, ``process_state``,
  ``last_organiser``, ``invitation_expired``, ``invitation_used``, ``unknown_user``,
  ``import_invalid`` (a design file; with problems).
* ``AccessDenied``: ``not_staff`` (no role on this process), ``role_required``.
* ``RecordImmutable``: ``record_immutable`` (a log entry or hand count was to be changed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ERROR_MESSAGES: dict[str, Promise] = {
    "design_invalid": _("the design has problems"),
    "import_invalid": _("the design file has problems"),
    "option_has_responses": _("the option “%(option)s” already has answers and cannot be removed"),
    "question_locked": _("this question has been opened and can no longer be removed"),
    "kind_locked": _("the kind of a question that has been opened cannot change"),
    "session_has_activity": _("this session has questions that were opened; it cannot be removed"),
    "process_incomplete": _("the process is not complete enough to publish"),
    "process_state": _("this cannot be done while the process is %(state)s"),
    "last_organiser": _("a process needs at least one organiser"),
    "invitation_expired": _("this invitation has expired"),
    "invitation_used": _("this invitation has already been used"),
    "unknown_user": _("there is no staff account with that user name"),
    "not_staff": _("you have no role on this process"),
    "role_required": _("your role on this process does not allow this"),
    "record_immutable": _("log entries and hand counts cannot be changed or deleted"),
}


@dataclass(frozen=True)
class Problem:
    """One problem in a design, at a path such as ``sessions[0].questions[3].options``."""

    path: str
    code: str
    template: Any
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        text = str(self.template)
        return text % self.params if self.params else text

    def under(self, prefix: str) -> Problem:
        path = f"{prefix}.{self.path}" if self.path else prefix
        return Problem(path, self.code, self.template, self.params)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class InspraakError(Exception):
    """Base of all domain errors."""

    default_code: ClassVar[str] = "error"

    def __init__(self, code: str | None = None, *, params: dict | None = None, problems=()):
        self.code = code or self.default_code
        self.params = params or {}
        self.problems: list[Problem] = list(problems)
        super().__init__(self.code)

    @property
    def message(self) -> str:
        template = ERROR_MESSAGES.get(self.code, self.code)
        text = str(template)
        return text % self.params if self.params else text

    def __str__(self) -> str:
        if self.problems:
            return "\n".join(str(p) for p in self.problems)
        return f"{self.code}: {self.message}"


class DesignError(InspraakError):
    default_code = "design_invalid"


class AccessDenied(InspraakError):
    default_code = "not_staff"


class RecordImmutable(InspraakError):
    default_code = "record_immutable"
