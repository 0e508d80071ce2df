"""Reads. Keyword-only and typed; they return querysets, plain rows or reports."""

from __future__ import annotations

from dataclasses import replace

from django.db.models import Prefetch, QuerySet

from .logchain import ChainReport, format_time, verify_chain
from .models import (
    Invitation,
    LiveSession,
    LogEntry,
    Process,
    ProcessState,
    Question,
    StaffRole,
)


def processes_for_user(*, user) -> QuerySet[Process]:
    """Processes on which ``user`` has any role, newest first."""
    return Process.objects.filter(staff_roles__user=user).distinct().order_by("-created_at")


def roles_by_process(*, user) -> dict[int, list[str]]:
    roles: dict[int, list[str]] = {}
    for process_id, role in StaffRole.objects.filter(user=user).values_list("process_id", "role"):
        roles.setdefault(process_id, []).append(role)
    return roles


def public_processes() -> QuerySet[Process]:
    return Process.objects.exclude(state=ProcessState.DRAFT).order_by("-published_at")


def process_agenda(*, process: Process) -> list[LiveSession]:
    """Sessions in agenda order with their questions and options, in three queries."""
    return list(
        process.sessions.prefetch_related(
            Prefetch("questions", queryset=Question.objects.prefetch_related("options"))
        )
    )


def process_staff(*, process: Process) -> QuerySet[StaffRole]:
    return process.staff_roles.select_related("user").order_by("role", "user__username")


def open_invitations(*, process: Process) -> QuerySet[Invitation]:
    return process.invitations.filter(accepted_at__isnull=True).order_by("-created_at")


def process_log(*, process: Process) -> QuerySet[LogEntry]:
    return LogEntry.objects.filter(process=process).order_by("seq")


def log_verify(*, process: Process) -> ChainReport:
    """Recompute the whole chain of ``process`` from the stored rows.

    Besides the chain itself, the last entry must be the head the process recorded, so a
    log cut short at its end fails too (reason ``head_mismatch``).
    """
    rows = (
        {
            "id": row["id"],
            "seq": row["seq"],
            "at": format_time(row["created_at"]),
            "actor": row["actor"],
            "action": row["action"],
            "data": row["data"],
            "prev": row["prev_hash"],
            "hash": row["hash"],
        }
        for row in process_log(process=process)
        .values("id", "seq", "created_at", "actor", "action", "data", "prev_hash", "hash")
        .iterator(chunk_size=2000)
    )
    report = verify_chain(process.slug, rows)
    process.refresh_from_db(fields=["log_seq", "log_head"])
    if report.ok and (
        report.count != process.log_seq or report.head != (process.log_head or report.head)
    ):
        return replace(report, ok=False, broken_seq=report.count + 1, reason="head_mismatch")
    return report
