"""The baseline: a bare echo consumer on the same Daphne and middleware as the phones'
sockets, mounted at ``/ws/echo/`` only when ``INSPRAAK_ECHO_BASELINE=1``. Every figure of
the load tool is set beside what this does, so it reads as a share of the stack's own
limit rather than as an absolute that depends on the machine."""

from channels.generic.websocket import AsyncWebsocketConsumer


class EchoConsumer(AsyncWebsocketConsumer):
    # No channel layer, as the app's consumers.
    channel_layer_alias = "inspraak.none"

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is not None:
            await self.send(text_data=text_data)
