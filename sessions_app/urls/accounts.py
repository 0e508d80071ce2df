"""Staff accounts under /accounts/: the login's second step, password reset and change
(Django's views, our templates), the account page and two-factor. Names are not
namespaced: Django's password views look them up as they are."""

from django.contrib.auth import views as auth_views
from django.urls import path

from sessions_app.views import accounts

urlpatterns = [
    path("", accounts.account, name="account"),
    path("login/code/", accounts.login_code, name="login_code"),
    path("password/reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("two-factor/", accounts.two_factor, name="two_factor"),
    path("two-factor/backup-codes/", accounts.two_factor_codes, name="two_factor_codes"),
]
