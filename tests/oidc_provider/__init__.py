"""A real OpenID Connect provider for the single sign-on tests: a small Django project on
django-oauth-toolkit, run in a process of its own with its own SQLite file
(``fixtures.py`` starts it)."""
