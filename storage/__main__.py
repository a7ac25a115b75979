"""Developer commands for the schema.

python -m storage revision "add complaints"   autogenerate a migration from the models
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from alembic import command

from storage.migrate import alembic_config, upgrade_sync


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m storage")
    sub = parser.add_subparsers(dest="command", required=True)
    revision = sub.add_parser("revision", help="autogenerate a migration from the models")
    revision.add_argument("message")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        # Compare the models with a scratch database at head, never with a real one.
        url = f"sqlite+aiosqlite:///{Path(scratch) / 'scratch.db'}"
        upgrade_sync(url)
        command.revision(alembic_config(url), message=args.message, autogenerate=True)


if __name__ == "__main__":
    main()
