"""The load tool: simulated phones, presenter, console and tellers against a real Daphne,
speaking the documented realtime protocol. See ``docs/performance.md``."""
