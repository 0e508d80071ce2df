from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from sessions_app import permissions
from sessions_app.exceptions import AccessDenied, DesignError
from sessions_app.models import Invitation, Process, Role, StaffRole
from sessions_app.signals import account_changed, send_on_commit

from .log import actor_for, log_append

INVITATION_DAYS = 7


def _require_roles_right(user, process: Process, *, site_admin: bool, perm: str) -> None:
    """An organiser of the process, or (``site_admin``, from the Django admin) an account
    with the model permission ``perm``; the log names either as the actor."""
    if site_admin:
        if not (user is not None and user.is_active and user.has_perm(perm)):
            raise AccessDenied("role_required")
        return
    permissions.require(user, process, "design")


def staff_grant(
    *, user, process: Process, target, role: str, site_admin: bool = False
) -> StaffRole:
    """Give ``target`` a role on ``process`` (nothing happens if it already has it).

    Raises ``AccessDenied`` unless ``user`` is an organiser of the process (or, with
    ``site_admin``, may add staff roles in the admin).
    """
    _require_roles_right(user, process, site_admin=site_admin, perm="sessions_app.add_staffrole")
    with transaction.atomic():
        staff_role, created = StaffRole.objects.get_or_create(
            process=process, user=target, role=role, defaults={"granted_by": user}
        )
        if created:
            log_append(
                process=process,
                action="staff.granted",
                actor=actor_for(user),
                data={"user": target.get_username(), "role": role},
            )
    permissions.forget_roles(target)
    return staff_role


def staff_grant_by_username(*, user, process: Process, username: str, role: str) -> StaffRole:
    """Like ``staff_grant`` for an existing account. Raises ``DesignError("unknown_user")``."""
    target = get_user_model().objects.filter(username=username.strip(), is_active=True).first()
    if target is None:
        permissions.require(user, process, "design")
        raise DesignError("unknown_user")
    return staff_grant(user=user, process=process, target=target, role=role)


def staff_revoke(*, user, staff_role: StaffRole, site_admin: bool = False) -> None:
    """Take a role away. Raises ``AccessDenied`` and ``DesignError("last_organiser")``;
    ``site_admin`` as for ``staff_grant``."""
    process = staff_role.process
    _require_roles_right(user, process, site_admin=site_admin, perm="sessions_app.delete_staffrole")
    with transaction.atomic():
        if (
            staff_role.role == Role.ORGANISER
            and StaffRole.objects.select_for_update(no_key=True)
            .filter(process=process, role=Role.ORGANISER)
            .count()
            <= 1
        ):
            raise DesignError("last_organiser")
        record = {"user": staff_role.user.get_username(), "role": staff_role.role}
        staff_role.delete()
        log_append(process=process, action="staff.revoked", actor=actor_for(user), data=record)
        send_on_commit(account_changed, user_id=staff_role.user_id, process_id=process.pk)
    permissions.forget_roles(staff_role.user)


def invitation_create(*, user, process: Process, role: str, note: str = "") -> Invitation:
    """Make a one-time link, valid for a week, that gives a role on ``process`` to whoever
    opens it while logged in (or creates an account from it). Raises ``AccessDenied``."""
    permissions.require(user, process, "design")
    with transaction.atomic():
        invitation = Invitation.objects.create(
            process=process,
            role=role,
            note=note.strip()[:120],
            token=secrets.token_urlsafe(24),
            created_by=user,
            expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
        )
        log_append(
            process=process,
            action="staff.invited",
            actor=actor_for(user),
            data={"invitation": invitation.pk, "role": role},
        )
    return invitation


def invitation_check(invitation: Invitation) -> None:
    """Raise ``DesignError("invitation_used")`` or ``("invitation_expired")``."""
    if invitation.accepted_at is not None:
        raise DesignError("invitation_used")
    if invitation.expires_at <= timezone.now():
        raise DesignError("invitation_expired")


def invitation_accept(*, token: str, user) -> StaffRole:
    """Give ``user`` the invitation's role. Raises ``Invitation.DoesNotExist``,
    ``DesignError("invitation_used")`` and ``DesignError("invitation_expired")``."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(no_key=True)
            .select_related("process")
            .get(token=token)
        )
        invitation_check(invitation)
        invitation.accepted_by = user
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_by", "accepted_at"])
        staff_role, created = StaffRole.objects.get_or_create(
            process=invitation.process,
            user=user,
            role=invitation.role,
            defaults={"granted_by": invitation.created_by},
        )
        log_append(
            process=invitation.process,
            action="staff.granted" if created else "staff.invitation_used",
            actor=actor_for(user),
            data={
                "user": user.get_username(),
                "role": invitation.role,
                "invitation": invitation.pk,
            },
        )
    permissions.forget_roles(user)
    return staff_role
