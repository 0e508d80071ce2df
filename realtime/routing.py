"""Websocket routes, mounted by ``config.asgi`` behind the origin check and auth: each
audience's consumer on its route from ``config.socket_routes``, where pages find it too
(``sessions_app.views.common.socket_path``)."""

from django.urls import path

from config.socket_routes import SOCKET_ROUTES

from . import consumers

CONSUMERS = {
    "phone": consumers.ParticipantConsumer,
    "presenter": consumers.PresenterConsumer,
    "facilitator": consumers.FacilitatorConsumer,
}

websocket_urlpatterns = [
    path(route, CONSUMERS[audience].as_asgi()) for audience, route in SOCKET_ROUTES.items()
]
