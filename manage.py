#!/usr/bin/env python
import os
import sys


def main() -> None:
    if sys.argv[1:2] == ["background"]:
        # A background job: low priority from the start, Django's own start-up included.
        from config.priority import BACKGROUND, lower

        lower(BACKGROUND)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
