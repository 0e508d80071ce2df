"""Council outputs: what a process produced, in files anyone can check.

``data`` reads everything once (the results through ``sessions_app.results``, the one
result function behind every screen and file); each format writes from it. ``recount``
recomputes the published results from the raw responses and hand counts of an export,
without Django or a database.
"""
