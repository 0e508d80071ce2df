"""The websocket routes, stated once: ``realtime.routing`` serves them and pages link to
them (``sessions_app.views.common.socket_path``). Plain strings, without Channels, so
that the domain can name them without importing the realtime package."""

#: The session's join code in a route.
CODE = "<str:code>"

#: Each audience's route, in Django's path syntax.
SOCKET_ROUTES = {
    "phone": f"ws/s/{CODE}/",
    "presenter": f"ws/present/{CODE}/",
    "facilitator": f"ws/facilitate/{CODE}/",
}
