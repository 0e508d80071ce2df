from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from config import health  # ops
from sessions_app.views import accounts as accounts_views

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    # accounts (issue 17): login with lockout and two-factor, password reset and change,
    # the account page, the admin
    path("accounts/login/", accounts_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", accounts_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("sessions_app.urls.accounts")),
    path(settings.ADMIN_PATH, admin.site.urls),
    # (accounts: end)
    # oidc (issue 17): single sign-on (404 while OIDC_* is not set)
    path("oidc/", include("sessions_app.oidc")),
    # ops (issue 17): health and readiness (answered first by config.health.ProbeMiddleware)
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # (ops: end)
    path("j/", include("sessions_app.urls.participate")),
    path("", include("sessions_app.urls.live")),
    path("", include("sessions_app.urls.paper")),
    path("manage/", include("sessions_app.urls.designer")),
    # following a process by e-mail (docs/following.md)
    path("", include("following.urls")),
    path("", include("sessions_app.urls.public")),
]
