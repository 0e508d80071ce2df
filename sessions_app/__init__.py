"""The participation domain: processes, live sessions, questions, inputs and the log.

This package never imports Channels. Realtime listens to the signals in ``signals.py``.
"""
