#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings")
    from prm.management.entry import main

    main(sys.argv)
