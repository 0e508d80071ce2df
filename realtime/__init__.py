"""Realtime: websocket consumers, group names and the coalescing broadcaster.

It listens to the domain's signals (``sessions_app.signals``) and imports the domain; the
domain never imports this package.
"""
