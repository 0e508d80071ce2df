"""Printed outputs (reportlab): paper forms, join posters, cards and the council report.

Drawing code never queries the database; it gets plain rows from selectors.
"""
