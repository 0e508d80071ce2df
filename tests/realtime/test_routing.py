"""The websocket paths pages link to are the ones the consumers are served on, each behind
the middleware it needs."""

from channels.auth import AuthMiddleware
from channels.sessions import SessionMiddleware

from realtime.routing import CONSUMERS, websocket_urlpatterns
from sessions_app.views.common import socket_path


def layers(app) -> list:
    """The middleware around a consumer, outermost first, and the consumer's app last."""
    found = [app]
    while hasattr(found[-1], "inner"):
        found.append(found[-1].inner)
    return found


def test_each_audience_page_links_to_its_own_consumer():
    for audience, consumer in CONSUMERS.items():
        path = socket_path(audience, "ABC234").removeprefix("/")
        served = [route for route in websocket_urlpatterns if route.pattern.match(path)]
        assert [layers(route.callback)[-1].consumer_class for route in served] == [consumer]
        assert served[0].pattern.match(path)[2] == {"code": "ABC234"}


def test_only_the_phones_go_without_the_login():
    # Channels' session middleware wraps every message a socket sends: thousands of
    # phones go without it; the console needs the staff member's login, and so does the
    # projector of a draft process (a rehearsal).
    for audience in CONSUMERS:
        path = socket_path(audience, "ABC234").removeprefix("/")
        [route] = [route for route in websocket_urlpatterns if route.pattern.match(path)]
        kinds = {type(layer) for layer in layers(route.callback)}
        logged_in = {SessionMiddleware, AuthMiddleware} <= kinds
        assert logged_in == (audience != "phone"), audience
