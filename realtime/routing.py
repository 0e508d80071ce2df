"""Websocket routes, mounted by ``config.asgi`` behind the origin check and auth. Pages
link to them through ``sessions_app.views.common.socket_path``."""

from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/s/<str:code>/", consumers.ParticipantConsumer.as_asgi()),
    path("ws/present/<str:code>/", consumers.PresenterConsumer.as_asgi()),
    path("ws/facilitate/<str:code>/", consumers.FacilitatorConsumer.as_asgi()),
]
