from django.urls import path

from sessions_app.models import JoinedVia
from sessions_app.views import participate

app_name = "participate"

urlpatterns = [
    path("", participate.join_start, name="join_start"),
    path("<str:code>/", participate.join, {"via": JoinedVia.ROOM}, name="join"),
    path("<str:code>/remote/", participate.join, {"via": JoinedVia.REMOTE}, name="join_remote"),
    path("<str:code>/answer/", participate.phone, name="phone"),
    path("<str:code>/answer/<int:question_id>/", participate.answer, name="answer"),
]
