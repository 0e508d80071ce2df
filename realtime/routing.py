"""Websocket routes, mounted by ``config.asgi`` behind the origin check: each audience's
consumer on its route from ``config.socket_routes``, where pages find it too
(``sessions_app.views.common.socket_path``), behind only the middleware it needs."""

from channels.auth import AuthMiddlewareStack
from channels.sessions import CookieMiddleware
from django.urls import path

from config.socket_routes import SOCKET_ROUTES

from . import consumers

CONSUMERS = {
    "phone": consumers.ParticipantConsumer,
    "presenter": consumers.PresenterConsumer,
    "facilitator": consumers.FacilitatorConsumer,
}

#: A phone needs only its cookies (its signed token, the language); the console and the
#: projector need the staff member's login (session and user). Channels'
#: session middleware wraps every message a socket sends, so thousands of phones are
#: better off without it.
MIDDLEWARE = {
    "phone": CookieMiddleware,
    # The login too: before publication the projector is for the process's staff.
    "presenter": AuthMiddlewareStack,
    "facilitator": AuthMiddlewareStack,
}

websocket_urlpatterns = [
    path(route, MIDDLEWARE[audience](CONSUMERS[audience].as_asgi()))
    for audience, route in SOCKET_ROUTES.items()
]
