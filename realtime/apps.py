from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"

    def ready(self):
        from . import receivers  # noqa: F401 - connects the signal receivers
