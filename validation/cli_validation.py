"""``classdyn validate`` and ``classdyn report``."""

from __future__ import annotations

import argparse
from pathlib import Path

from classdyn.cli import CommandResult, add_command
from classdyn.flags import add_output

from .executors import add_executor_flags

ORDER = 90


def _add_run_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--only", nargs="+", metavar="NAME", default=None,
                   help="run only these checks (default: all registered checks; see --list)")
    p.add_argument("--size", choices=["small", "paper"], default="small",
                   help="problem sizes: 'small' finishes within ~10 min on 2 cores, 'paper' uses "
                        "sizes as close to the paper's as its text allows (hours)")
    add_executor_flags(p, jobs_help="worker processes for independent checks (default: "
                                    "number of CPUs)")
    p.add_argument("--force", action="store_true",
                   help="ignore cached results and re-run every selected check")
    p.add_argument("--list", action="store_true", help="list the registered checks and exit")
    add_output(p)


def register(sub) -> None:
    p = add_command(sub, "validate", help="run theory-vs-simulation-vs-DDPM checks",
                    description="Run the registered validation checks (cached by parameters and "
                                "code version) and write <out>/validation.json. Exit code 1 if "
                                "any check fails.")
    _add_run_flags(p)
    p.set_defaults(handler=_validate)
    p = add_command(sub, "report", help="run the checks and write the HTML report",
                    description="Run the checks (reusing cached ones) and write a "
                                "self-contained <out>/report.html (figures embedded) and "
                                "<out>/report.json. Exit code 1 if any check fails.")
    _add_run_flags(p)
    p.set_defaults(handler=_report)


def _list(checks) -> CommandResult:
    data = {"checks": [{"name": c.name, "claim": c.claim, "reference": c.reference,
                        "sizes": c.sizes} for c in checks]}
    text = "\n".join(f"{c.name:24s} {c.claim}" for c in checks) or "no checks registered"
    return CommandResult(data=data, text=text)


def _run(args):
    from .registry import get_checks
    from .executors import executor_from_args
    from .runner import run_checks

    checks = get_checks(args.only)
    if args.list:
        return checks, None
    records = run_checks(checks, args.size, Path(args.out), force=args.force,
                         executor=executor_from_args(args))
    return checks, records


def _table(records) -> str:
    import textwrap

    lines = [f"{'check':24s} {'verdict':8s} {'time':>8s}  summary"]
    pad = " " * 44
    for r in records:
        cached = " (cached)" if r.get("cached") else ""
        head = f"{r['name']:24s} {r['status']:8s} {r.get('seconds', 0):7.1f}s  "
        # wrapped at word boundaries, never cut inside a number
        body = textwrap.wrap(r.get("summary", "") + cached, width=90, break_long_words=False,
                             break_on_hyphens=False) or [""]
        lines.append(head + body[0])
        lines.extend(pad + b for b in body[1:])
    if not records:
        lines.append("(no checks registered yet)")
    return "\n".join(lines)


def _exit_code(records) -> int:
    return 1 if any(r["status"] in ("fail", "error") for r in records) else 0


def _validate(args) -> CommandResult:
    checks, records = _run(args)
    if records is None:
        return _list(checks)
    data = {"size": args.size, "out": str(args.out), "checks": records}
    return CommandResult(data=data, text=_table(records), exit_code=_exit_code(records))


def _report(args) -> CommandResult:
    checks, records = _run(args)
    if records is None:
        return _list(checks)
    from .report import results_verdicts, write_report
    from .runner import code_version, environment

    html_path, json_path = write_report(records, Path(args.out), size=args.size,
                                        environment=environment(), code_version=code_version())
    verdicts = results_verdicts(records)
    text = _table(records) + "\n\n" + "\n".join(
        f"Result {k}: {v['verdict']}" for k, v in verdicts.items()
    ) + f"\n\nreport: {html_path}\nsummary: {json_path}"
    data = {"size": args.size, "report": str(html_path), "summary": str(json_path),
            "results": verdicts, "checks": records}
    return CommandResult(data=data, text=text, exit_code=_exit_code(records))
