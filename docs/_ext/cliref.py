"""Write ``docs/cli.md``, the command-line reference, from ``classdyn.cli.build_parser()``.

Runs at ``builder-inited``, before Sphinx reads the sources: every (sub)command of the parser
tree, depth first in the parser's order, gets a heading (``classdyn simulate losses``), a label
``cli-simulate-losses`` and its ``--help`` text, formatted at a fixed width of 100 columns so the
page does not depend on the terminal. The file is generated (docs/.gitignore) and rewritten only
when its text changes, so an unchanged CLI does not make Sphinx re-read the page.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

WIDTH = "100"
FILENAME = "cli.md"


def walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """``(path, parser, help)`` for ``parser`` and every subcommand below it, depth first."""
    yield path, parser
    for action in parser._actions:  # argparse keeps subcommands here and nowhere public
        if isinstance(action, argparse._SubParsersAction):
            seen = set()
            for choice in action._choices_actions:  # in order, without aliases
                sub = action.choices[choice.dest]
                if id(sub) in seen:
                    continue
                seen.add(id(sub))
                yield from walk(sub, path + (choice.dest,))


def subcommand_help(parser: argparse.ArgumentParser) -> dict[str, str]:
    out = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                out[choice.dest] = choice.help or ""
    return out


def render() -> str:
    from classdyn.cli import build_parser

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = WIDTH  # argparse's HelpFormatter reads the width from here
    try:
        root = build_parser()
        entries = list(walk(root))
        helps = {(): subcommand_help(root)}
        for path, parser in entries:
            helps[path] = subcommand_help(parser)
        lines = [
            "(cli-reference)=",
            "# Command-line reference",
            "",
            "Generated at build time from `classdyn.cli.build_parser()`: every command of the "
            "`classdyn` console script with its `--help` text (defaults shown). "
            "`python -m classdyn` is the same program.",
            "",
            "| command | what it does |",
            "|---|---|",
        ]
        for path, _ in entries[1:]:
            text = helps[path[:-1]].get(path[-1], "").replace("%%", "%").replace("|", "\\|").replace("\n", " ")
            label = "cli-" + "-".join(path)
            lines.append(f"| {{ref}}`classdyn {' '.join(path)} <{label}>` | {text} |")
        lines.append("")
        for path, parser in entries:
            label = "cli-" + "-".join(path) if path else "cli-classdyn"
            level = "#" * min(len(path) + 1, 4) if path else "##"
            lines += [f"({label})=", f"{level} `{' '.join(('classdyn',) + path)}`", "",
                      "```text", parser.format_help().rstrip(), "```", ""]
        return "\n".join(lines)
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old


def write_cli_page(app) -> None:
    target = Path(app.srcdir) / FILENAME
    text = render()
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")


def setup(app):
    app.connect("builder-inited", write_cli_page)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
