"""``python -m classdyn.ddpm …`` is ``classdyn ddpm …``."""

import sys

from classdyn.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["ddpm", *sys.argv[1:]]))
