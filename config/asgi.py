"""ASGI entry point: Django for HTTP, Channels for websockets. Served by Daphne."""

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from config import http_guard
from config.handlers import get_asgi_application
from config.logging import WebsocketRequestId, silence_daphne_access_log

# Request bodies are bounded and kept on disk from Daphne's HTTP layer on.
http_guard.install()
# ops: Daphne's access log prints clients' addresses; ours (config.logging) does not.
silence_daphne_access_log()

#: Collect the youngest objects every 10,000 net allocations instead of 700.
GC_THRESHOLDS = (10_000, 20, 50)

# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from realtime.origin import SameOriginValidator  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

if os.environ.get("INSPRAAK_ECHO_BASELINE") == "1":
    # The load tool's baseline (bench/echo.py), behind the phones' middleware; never
    # mounted otherwise.
    from django.urls import path

    from bench.echo import EchoConsumer
    from realtime.routing import MIDDLEWARE

    websocket_urlpatterns = [
        *websocket_urlpatterns,
        path("ws/echo/", MIDDLEWARE["phone"](EchoConsumer.as_asgi())),
    ]

from sessions_app import daily  # noqa: E402

# Retention and signed heads, once a day (manage.py purge, in its own process).
daily.start()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # ops: an id per connection in every log line, and one access line when it closes.
        "websocket": WebsocketRequestId(SameOriginValidator(URLRouter(websocket_urlpatterns))),
    }
)

# Garbage collection tuned for thousands of open websockets, which are thousands of
# long-lived objects that Python's cyclic collector would otherwise rescan again and
# again: what startup made is frozen out of the scans, and collections run less often.
# Measured in docs/performance.md (the tail of acknowledgement times was GC pauses).
gc.freeze()
gc.set_threshold(*GC_THRESHOLDS)
