"""Websocket routes, mounted by ``config.asgi`` behind the origin check and auth."""

websocket_urlpatterns: list = []
