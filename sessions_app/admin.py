"""The Django admin: staff accounts, the site's organiser permission and process roles.

Every change that matters goes through the code that the rest of the site uses:
organiser permission through ``staff_permissions``, roles through ``services.staff``
(so each grant and revoke is in the process's transparency log). Processes and sessions
are shown read-only: they change only through the services, which log them.
"""

from __future__ import annotations

from axes.models import AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from sessions_app import mfa
from sessions_app.account_forms import OneAccountPasswordResetForm
from sessions_app.exceptions import InspraakError
from sessions_app.models import LiveSession, Process, StaffRole
from sessions_app.security import security_log
from sessions_app.services import staff
from sessions_app.signals import account_changed, send_on_commit
from sessions_app.staff_permissions import organise_grant, organise_permission, organise_revoke

User = get_user_model()

# Devices are managed by their owners (and removed with the account action below); the
# admin never shows their secrets.
# Axes' logs of logins are off here (only attempts within the cool-off are kept).
for model in (TOTPDevice, StaticDevice, AccessLog, AccessFailureLog):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


def _audit(request, event: str, accounts) -> None:
    """One line on the security log per admin action: who did it, to which account ids."""
    security_log.info(
        "%s by=%s accounts=%s",
        event,
        request.user.pk,
        ",".join(str(a.pk) for a in accounts),
        extra={"event": event},
    )


class StaffCreationForm(AdminUserCreationForm):
    """A new account with its e-mail address, so that it can be sent a reset link (choose
    "password-based authentication: disabled" and send one from the list)."""

    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email")


@admin.register(User)
class StaffAccountAdmin(UserAdmin):
    add_form = StaffCreationForm
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "is_active",
        "is_staff",
        "organiser",
        "two_factor",
        "last_login",
    )
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("username", "email", "first_name", "last_name")
    ordering = ("username",)
    # No direct editing of permissions or groups: the organiser permission goes through
    # the actions below, process roles through "Staff roles".
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"fields": ("username", "email", "usable_password", "password1", "password2")}),
    )
    readonly_fields = ("last_login", "date_joined")
    actions = (
        "deactivate",
        "activate",
        "send_password_reset",
        "grant_organiser",
        "revoke_organiser",
        "remove_two_factor",
        "unlock_login",
    )

    def get_queryset(self, request):
        permission = organise_permission()
        return (
            super()
            .get_queryset(request)
            .annotate(
                _organiser=Exists(
                    User.user_permissions.through.objects.filter(
                        user=OuterRef("pk"), permission=permission
                    )
                ),
                _two_factor=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            )
        )

    @admin.display(boolean=True, description=_("may start processes"))
    def organiser(self, account):
        return account.is_superuser or account._organiser

    @admin.display(boolean=True, description=_("two-factor"))
    def two_factor(self, account):
        return account._two_factor

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deactivate instead: the logs name accounts
        return actions

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Deactivate: no login, signed-in sessions end"))
    def deactivate(self, request, queryset):
        accounts = list(queryset.exclude(pk=request.user.pk))
        if len(accounts) < queryset.count():
            self.message_user(request, _("You cannot deactivate yourself."), messages.WARNING)
        User.objects.filter(pk__in=[a.pk for a in accounts]).update(is_active=False)
        for account in accounts:  # their open consoles close now
            send_on_commit(account_changed, user_id=account.pk, process_id=None)
        _audit(request, "admin.accounts_deactivated", accounts)
        self.message_user(
            request,
            ngettext(
                "%(count)d account deactivated.", "%(count)d accounts deactivated.", len(accounts)
            )
            % {"count": len(accounts)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Activate"))
    def activate(self, request, queryset):
        accounts = list(queryset)
        queryset.update(is_active=True)
        _audit(request, "admin.accounts_activated", accounts)
        self.message_user(
            request,
            ngettext("%(count)d account activated.", "%(count)d accounts activated.", len(accounts))
            % {"count": len(accounts)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Send a password reset e-mail"))
    def send_password_reset(self, request, queryset):
        sent, skipped = [], []
        for account in queryset:
            form = OneAccountPasswordResetForm(account)
            if account.email and account.is_active and form.is_valid():
                form.save(request=request, use_https=request.is_secure())
                sent.append(account)
            else:
                skipped.append(account.get_username())
        _audit(request, "admin.password_reset_sent", sent)
        if sent:
            self.message_user(
                request,
                ngettext(
                    "A reset e-mail went to %(count)d account.",
                    "A reset e-mail went to %(count)d accounts.",
                    len(sent),
                )
                % {"count": len(sent)},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                _(
                    "No e-mail for %(names)s: an account needs to be active and have an "
                    "e-mail address."
                )
                % {"names": ", ".join(skipped)},
                messages.WARNING,
            )

    def _apply(self, request, queryset, change, event: str, message) -> None:
        """Apply ``change`` to each selected account, log it once, and say for whom."""
        accounts = list(queryset)
        for account in accounts:
            change(account)
        _audit(request, event, accounts)
        names = ", ".join(a.get_username() for a in accounts)
        self.message_user(request, message % {"names": names}, messages.SUCCESS)

    @admin.action(description=_("Allow to start processes (organiser)"))
    def grant_organiser(self, request, queryset):
        self._apply(
            request,
            queryset,
            organise_grant,
            "admin.organiser_granted",
            _("These accounts may now start processes: %(names)s."),
        )

    @admin.action(description=_("No longer allow to start processes"))
    def revoke_organiser(self, request, queryset):
        self._apply(
            request,
            queryset,
            organise_revoke,
            "admin.organiser_revoked",
            _("These accounts may no longer start processes: %(names)s."),
        )

    @admin.action(description=_("Turn off two-factor (lost phone)"))
    def remove_two_factor(self, request, queryset):
        self._apply(
            request,
            queryset,
            mfa.devices_remove,
            "admin.two_factor_removed",
            _("Two-factor is off for %(names)s; they can set it up again after logging in."),
        )

    @admin.action(description=_("Lift a login lockout"))
    def unlock_login(self, request, queryset):
        from axes.utils import reset

        accounts = list(queryset)
        for account in accounts:
            reset(username=account.get_username())
        _audit(request, "admin.lockout_lifted", accounts)
        self.message_user(
            request,
            _("These accounts may try to log in again: %(names)s.")
            % {"names": ", ".join(a.get_username() for a in accounts)},
            messages.SUCCESS,
        )


class StaffRoleForm(forms.ModelForm):
    class Meta:
        model = StaffRole
        fields = ("process", "user", "role")


@admin.register(StaffRole)
class StaffRoleAdmin(admin.ModelAdmin):
    """Roles are granted and revoked here through ``services.staff``, never edited."""

    form = StaffRoleForm
    list_display = ("user", "role", "process", "granted_by", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "process__title", "process__slug")
    list_select_related = ("user", "process", "granted_by")
    actions = ("revoke",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        return request.user.has_perm("sessions_app.delete_staffrole")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "user" in form.base_fields:
            form.base_fields["user"].queryset = User.objects.filter(is_active=True).order_by(
                "username"
            )
        return form

    def save_model(self, request, obj, form, change):
        granted = staff.staff_grant(
            user=request.user,
            process=obj.process,
            target=obj.user,
            role=obj.role,
            site_admin=True,
        )
        obj.pk = granted.pk
        obj.granted_by_id = granted.granted_by_id
        obj.created_at = granted.created_at

    @admin.action(description=_("Revoke the selected roles"), permissions=("revoke",))
    def revoke(self, request, queryset):
        done = 0
        for staff_role in queryset.select_related("process", "user"):
            try:
                with transaction.atomic():
                    staff.staff_revoke(user=request.user, staff_role=staff_role, site_admin=True)
                done += 1
            except InspraakError as error:
                self.message_user(
                    request,
                    f"{staff_role.user} · {staff_role.process}: {error.message}",
                    messages.ERROR,
                )
        if done:
            self.message_user(
                request,
                ngettext("%(count)d role revoked.", "%(count)d roles revoked.", done)
                % {"count": done},
                messages.SUCCESS,
            )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never changed here: the services change these, and log it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Process)
class ProcessAdmin(ReadOnlyAdmin):
    list_display = ("title", "slug", "state", "created_by", "created_at")
    list_filter = ("state",)
    search_fields = ("title", "slug")
    fields = (
        "title",
        "slug",
        "state",
        "level",
        "created_by",
        "created_at",
        "published_at",
        "closed_at",
    )


@admin.register(LiveSession)
class LiveSessionAdmin(ReadOnlyAdmin):
    list_display = ("title", "process", "starts_at", "state", "join_code")
    list_filter = ("state",)
    search_fields = ("title", "process__title", "join_code")
    list_select_related = ("process",)
    fields = ("title", "process", "starts_at", "ends_at", "venue", "mode", "state", "join_code")
