"""Who may do what on a process. Roles never cross processes: a role on process A gives
nothing on process B."""

from __future__ import annotations

from .exceptions import AccessDenied
from .models import Role, StaffRole

R = Role

#: Each capability and the roles that have it.
CAPABILITIES: dict[str, frozenset[str]] = {
    "view": frozenset(R.values),
    "design": frozenset({R.ORGANISER}),
    "facilitate": frozenset({R.ORGANISER, R.FACILITATOR}),
    "enter_paper": frozenset({R.ORGANISER, R.FACILITATOR, R.TELLER}),
    "review": frozenset({R.ORGANISER, R.FACILITATOR, R.REVIEWER}),
}


def user_roles(user, process) -> set[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    cache = getattr(user, "_inspraak_roles", None)
    if cache is None:
        cache = user._inspraak_roles = {}
    if process.pk not in cache:
        cache[process.pk] = set(
            StaffRole.objects.filter(process=process, user=user).values_list("role", flat=True)
        )
    return cache[process.pk]


def forget_roles(user) -> None:
    """Drop the per-request role cache after roles changed."""
    if hasattr(user, "_inspraak_roles"):
        del user._inspraak_roles


def has_capability(user, process, capability: str) -> bool:
    return bool(user_roles(user, process) & CAPABILITIES[capability])


def require(user, process, capability: str) -> None:
    """Raise ``AccessDenied`` (``not_staff`` or ``role_required``) unless ``user`` may."""
    roles = user_roles(user, process)
    if not roles:
        raise AccessDenied("not_staff")
    if not roles & CAPABILITIES[capability]:
        raise AccessDenied("role_required")
