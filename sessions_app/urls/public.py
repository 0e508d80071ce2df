from django.urls import path

from sessions_app.views import public

app_name = "public"

urlpatterns = [
    path("", public.index, name="index"),
    path("p/<slug:slug>/", public.process_page, name="process"),
]
