"""Writes. Every service validates, writes inside ``transaction.atomic``, appends a log
entry and sends a domain signal after commit. Services are keyword-only and named
``<entity>_<action>``; their docstrings name the error codes they raise."""
