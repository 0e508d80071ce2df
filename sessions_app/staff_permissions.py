"""The site-wide permission to start processes (``sessions_app.organise``): granted and
taken away by ``manage.py organisers`` (and by the demo for its organiser). Roles on one
process are ``StaffRole``s; this decides who may create or import one at all."""

from __future__ import annotations

from django.contrib.auth.models import Permission


def organise_permission() -> Permission:
    return Permission.objects.get(codename="organise", content_type__app_label="sessions_app")


def organise_grant(user) -> None:
    user.user_permissions.add(organise_permission())


def organise_revoke(user) -> None:
    user.user_permissions.remove(organise_permission())


def organisers():
    """The active accounts that may start processes (superusers included)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    permission = organise_permission()
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(user_permissions=permission))
        .distinct()
        .order_by("username")
    )
