from django.urls import path

from sessions_app.views import learning, live

app_name = "live"

urlpatterns = [
    path("present/<str:code>/", live.presenter, name="presenter"),
    path("present/<str:code>/join/", live.join_print, name="join_print"),
    path("manage/<slug:slug>/sessions/<int:session_id>/console/", live.console, name="console"),
    path(
        "manage/<slug:slug>/sessions/<int:session_id>/console/action/",
        live.console_action,
        name="console_action",
    ),
    path(
        "manage/<slug:slug>/sessions/<int:session_id>/console/notes/",
        learning.note_add,
        name="note_add",
    ),
]
