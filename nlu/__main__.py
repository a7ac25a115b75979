"""`python -m nlu setup|train|serve|eval|parse`: the Rasa side, driven from the bot's env."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from kernel.cli import CONFIG_ERROR, settings_or_report
from kernel.settings import NluSettings
from nlu import service
from nlu.recognizer import recognizer_from
from nlu.report import print_reports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlu", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("setup", help="create .venv-rasa with the pinned Rasa (idempotent)")
    train = commands.add_parser("train", help="train when data, config or components changed")
    train.add_argument("--force", action="store_true")
    commands.add_parser("serve", help="run the Rasa server until stopped (url/token: settings)")
    evaluate = commands.add_parser("eval", help="cross-validation and the held-out test")
    evaluate.add_argument("--folds", type=int, default=5)
    parse = commands.add_parser("parse", help="what the running bot would understand")
    parse.add_argument("text")
    args = parser.parse_args(argv)

    try:
        if args.command == "setup":
            service.setup()
        elif args.command == "train":
            service.train(force=args.force)
        elif args.command in ("serve", "parse"):
            settings = settings_or_report()
            if settings is None:
                return CONFIG_ERROR
            if args.command == "serve":
                return _serve(settings.nlu)
            print(asyncio.run(_parse(settings.nlu, args.text)))
        elif args.command == "eval":
            print_reports(service.evaluate(args.folds))
    except service.SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def _serve(settings: NluSettings) -> int:
    if settings.token is None:
        print("error: set NLU__TOKEN (the bot uses the same value)", file=sys.stderr)
        return 2
    token = settings.token.get_secret_value()
    return service.serve(settings.url.rstrip("/"), token, Path("var/rasa.log"))


async def _parse(settings: NluSettings, text: str) -> object:
    recognizer = recognizer_from(settings)
    try:
        return await recognizer.understand(text)
    finally:
        await recognizer.close()


if __name__ == "__main__":
    sys.exit(main())
