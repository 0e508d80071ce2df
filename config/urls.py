from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("j/", include("sessions_app.urls.participate")),
    path("", include("sessions_app.urls.live")),
    path("", include("sessions_app.urls.paper")),
    path("manage/", include("sessions_app.urls.designer")),
    path("", include("sessions_app.urls.public")),
]
