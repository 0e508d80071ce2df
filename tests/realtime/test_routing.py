"""The websocket paths pages link to are the ones the consumers are served on."""

from realtime.routing import CONSUMERS, websocket_urlpatterns
from sessions_app.views.common import socket_path


def test_each_audience_page_links_to_its_own_consumer():
    for audience, consumer in CONSUMERS.items():
        path = socket_path(audience, "ABC234").removeprefix("/")
        served = [route for route in websocket_urlpatterns if route.pattern.match(path)]
        assert [route.callback.consumer_class for route in served] == [consumer]
        assert served[0].pattern.match(path)[2] == {"code": "ABC234"}
