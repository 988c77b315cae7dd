"""The ``classdyn`` console script.

Subcommands are discovered, not listed here: every module named ``cli_*.py`` in one of the
packages ``theory``, ``simulate``, ``ddpm``, ``validation`` defines ``register(subparsers)``, which
adds its parser(s) and sets ``handler`` with ``parser.set_defaults(handler=func)``. A handler takes
the parsed ``argparse.Namespace`` and returns a :class:`CommandResult`. Modules that define
subcommands keep heavy imports (NumPy, Numba, torch) inside their handlers, so ``classdyn --help``
stays fast and never imports torch.

Exit codes: 0 success, 1 the command ran and reports a failure (e.g. a failed validation check),
2 bad usage or bad input (argparse errors and ``ValueError``/``TypeError`` raised by parameter
validation before work starts).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from dataclasses import dataclass, field
from typing import Any, Sequence

from classdyn import __version__

PACKAGES = ("classdyn.theory", "classdyn.simulate", "classdyn.ddpm", "classdyn.validation")

#: optional packages and the extra of setup.cfg that installs each (a command that needs a
#: missing one says which extra to install, exit 2)
OPTIONAL_EXTRAS = {"torch": "ddpm", "dask": "dist", "distributed": "dist",
                   "dask_jobqueue": "dist", "zarr": "data", "xarray": "data", "PIL": "data"}


@dataclass
class CommandResult:
    """What a subcommand hands back: ``data`` for ``--json``, ``text`` for humans.

    ``exit_code`` is 0 unless the command ran but reports a failure (1).
    """

    data: dict[str, Any]
    text: str = ""
    exit_code: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Show defaults (once: not where the help text already states its default) and keep the
    description's line breaks."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" in text.lower():
            return text
        return super()._get_help_string(action)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (issue 18): ``prog: error: message (see
    prog --help)``, exit 2, instead of argparse's multi-line usage block."""

    def error(self, message):
        one_line = " ".join(str(message).split())
        self.exit(2, f"{self.prog}: error: {one_line} (see {self.prog} --help)\n")

    def parse_args(self, args=None, namespace=None):
        """As argparse's, but leftover words name the flag before them (a flag given more
        values than it takes: "unrecognized arguments: 3 (after --variances ...)")."""
        words = list(sys.argv[1:] if args is None else args)
        ns, extras = self.parse_known_args(words, namespace)
        if extras:
            i = words.index(extras[0]) if extras[0] in words else 0
            flag = next((w for w in reversed(words[:i]) if w.startswith("--")), None)
            hint = f" (after {flag}: more values than it takes?)" if flag else ""
            self.error(f"unrecognized arguments: {' '.join(extras)}{hint}")
        return ns


#: parameter names used by the library's validators (classdyn.theory.params) and the flag that
#: sets each, so that a handler's ``ValueError`` names the flag the user typed
PARAM_FLAGS = {"sigma2": "--variances", "variances": "--variances", "rho": "--weights",
               "weights": "--weights", "norms2": "--norms2", "overlaps": "--overlaps",
               "psi_p": "--psi-p", "psi_n": "--psi-n", "t": "--t", "m": "--m", "d": "--d",
               "ds": "--ds", "gammas": "--gammas", "norm2": "--norms2", "X": "--data",
               "max_images": "--images"}


def _flag_message(parser: argparse.ArgumentParser, prog: str, message: str) -> str:
    """``message`` (one line) prefixed with ``argument --flag:`` when it starts with the name of
    a parameter (:data:`PARAM_FLAGS`, or a flag's own name) of the subcommand ``prog``."""
    message = " ".join(str(message).split())
    if message.startswith("argument -"):
        return message
    word = message.split(" ", 1)[0].rstrip(":=,;")
    sub = _find_parser(parser, prog)
    flags = {o for a in (sub or parser)._actions for o in a.option_strings}
    base = "--" + word.replace("_", "-")
    for flag in (PARAM_FLAGS.get(word), base, base + "s", base + "es"):
        if flag in flags:
            return f"argument {flag}: {message}"
    # else the first parameter named anywhere in the message (names of two letters or more)
    import re

    names = "|".join(re.escape(k) for k in PARAM_FLAGS if len(k) > 1)
    for match in re.finditer(rf"(?<![\w-])({names})(?![\w-])", message):
        if PARAM_FLAGS[match.group(1)] in flags:
            return f"argument {PARAM_FLAGS[match.group(1)]}: {message}"
    return message


def _find_parser(parser: argparse.ArgumentParser, prog: str):
    """The (sub)parser whose ``prog`` is ``prog``, or None."""
    if parser.prog == prog:
        return parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found = _find_parser(sub, prog)
                if found is not None:
                    return found
    return None


def _command_modules():
    mods = []
    for pkg_name in PACKAGES:
        pkg = importlib.import_module(pkg_name)
        for info in pkgutil.iter_modules(pkg.__path__):
            if info.name.startswith("cli_"):
                mods.append(importlib.import_module(f"{pkg_name}.{info.name}"))
    mods.sort(key=lambda m: (getattr(m, "ORDER", 100), m.__name__))
    return mods


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="classdyn",
        description=(
            "Predict and measure how diffusion models learn and memorise the classes of a "
            "dataset:\nrandom-matrix theory of a random-features score model "
            "(theory), finite-size simulation (simulate),\na DDPM U-Net on "
            "Fashion-MNIST pairs (ddpm), and checks of each against the others (validate, "
            "report).\n\nUnits: diffusion time t is the time of the OU forward process; "
            "training time tau is such that\nan eigenmode of the feature covariance with "
            "eigenvalue lambda relaxes as exp(-lambda tau)."
        ),
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"classdyn {__version__}")
    _add_verbosity(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for mod in _command_modules():
        mod.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``classdyn`` console script.

    Parses ``argv``, runs the subcommand's handler and prints its result: the ``data`` as one
    JSON line with ``--json``, else its ``text``. A command group given without its subcommand
    prints the group's help. ``ValueError``/``TypeError`` raised by a handler (parameter
    validation) are reported as ``classdyn <command>: error: ...`` on stderr, not raised.

    Parameters
    ----------
    argv : sequence of str or None, optional
        The arguments after the program name; ``None`` (default) reads ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit code: 0 success, 1 the command ran and reports a failure (e.g. a failed
        validation check), 2 bad usage or bad input, 130 interrupted (finished work is saved).

    Raises
    ------
    SystemExit
        From argparse: for ``--help`` and ``--version`` (code 0), for unknown options or a
        missing command (code 2), and after printing a group's help.

    Examples
    --------
    >>> from classdyn import main
    >>> try:
    ...     main(["--version"])
    ... except SystemExit as exc:
    ...     print("exit code", exc.code)
    classdyn 0.1.0
    exit code 0
    """
    from classdyn.io import dumps

    from classdyn import progress as _progress
    from classdyn.log import configure

    parser = build_parser()
    args = parser.parse_args(argv)
    verbosity = getattr(args, "verbose", 0) - (1 if getattr(args, "quiet", False) else 0)
    configure(verbosity)
    _progress.QUIET = verbosity < 0
    handler = getattr(args, "handler", None)
    if handler is None:  # a command group given without its subcommand
        parser.parse_args([*(argv if argv is not None else sys.argv[1:]), "--help"])
        return 2
    try:
        result: CommandResult = handler(args)
    except (ValueError, TypeError) as exc:
        prog = getattr(args, "prog", None) or f"classdyn {args.command}"
        print(f"{prog}: error: {_flag_message(parser, prog, str(exc))}", file=sys.stderr)
        return 2
    except ImportError as exc:  # an optional dependency of this command is missing
        prog = getattr(args, "prog", None) or f"classdyn {args.command}"
        name = (exc.name or "").split(".")[0]
        extra = OPTIONAL_EXTRAS.get(name)
        if extra is None:
            raise
        print(f"{prog}: error: needs the optional package {name!r}, which is not installed: "
              f"pip install 'classdyn[{extra}]' (the {extra!r} extra)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; finished work is saved and a rerun resumes from it", file=sys.stderr)
        return 130
    except (ArithmeticError, RuntimeError) as exc:  # a solver that did not converge: one line
        if not (isinstance(exc, ArithmeticError) or type(exc).__name__ == "NonConvergenceError"):
            raise
        prog = getattr(args, "prog", None) or f"classdyn {args.command}"
        print(f"{prog}: error: the computation failed for these parameters: "
              f"{' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    except OSError as exc:  # a write that failed (disk full, permissions changed meanwhile)
        prog = getattr(args, "prog", None) or f"classdyn {args.command}"
        print(f"{prog}: error: could not write the result: {exc.strerror or exc}"
              f"{f' ({exc.filename})' if exc.filename else ''}; results are written atomically, "
              "so a previous result at that path is intact", file=sys.stderr)
        return 1
    if getattr(args, "json", False):
        sys.stdout.write(dumps(result.data) + "\n")
    elif result.text:
        print(result.text)
    return result.exit_code


def add_command(sub, name: str, *, help: str, description: str | None = None
                ) -> argparse.ArgumentParser:
    """Add a subcommand parser with the shared formatter; used by every ``cli_*`` module."""
    p = sub.add_parser(name, help=help, description=description or help,
                       formatter_class=_Formatter)
    p.set_defaults(prog=p.prog)
    _add_verbosity(p)
    return p


def _add_verbosity(p: argparse.ArgumentParser) -> None:
    """``-v`` / ``-q`` on every (sub)command; SUPPRESS keeps a subcommand's default from
    overwriting the value given to its parent."""
    g = p.add_argument_group("messages")
    g.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                   help="more messages on stderr (debug details; repeatable)")
    g.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                   help="only warnings and errors on stderr, no progress bars")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
