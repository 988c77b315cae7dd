"""classdyn.log and the CLI's -v/-q: messages on stderr through the ``classdyn`` logger, quiet
hides information and progress bars, progress bars only on a terminal unless asked."""

import io
import logging

from classdyn import progress
from classdyn.cli import build_parser, main
from classdyn.log import configure, get_logger


def test_configure_levels_and_format():
    buf = io.StringIO()
    log = configure(-1, stream=buf)
    log.info("info hidden")
    log.warning("a warning")
    assert buf.getvalue() == "classdyn: a warning\n"
    buf = io.StringIO()
    configure(1, stream=buf)
    get_logger("classdyn.x").debug("debug shown")
    assert buf.getvalue() == "classdyn: debug shown\n"
    configure(0)
    assert logging.getLogger("classdyn").level == logging.INFO


def test_verbose_and_quiet_on_every_level_of_the_command_line():
    p = build_parser()
    a = p.parse_args(["-v", "-v", "coefficients"])
    assert a.verbose == 2  # given to the top parser, not overwritten by the subcommand
    a = p.parse_args(["simulate", "losses", "-q"])
    assert a.quiet is True and not hasattr(a, "verbose")
    a = p.parse_args(["simulate", "-v", "losses"])
    assert a.verbose == 1


def test_quiet_cli_sets_quiet_progress(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(progress, "QUIET", False)
    assert main(["coefficients", "-q", "--out", str(tmp_path)]) == 0
    assert progress.QUIET is True and capsys.readouterr().err == ""
    assert main(["coefficients", "--out", str(tmp_path)]) == 0
    assert progress.QUIET is False


def test_progress_bars_only_on_a_terminal_unless_asked(monkeypatch, capsys):
    monkeypatch.delenv("CLASSDYN_NO_PROGRESS", raising=False)
    monkeypatch.delenv("CLASSDYN_PROGRESS", raising=False)
    monkeypatch.setattr(progress, "QUIET", False)
    assert list(progress.progress(range(3), desc="x")) == [0, 1, 2]
    assert "x:" not in capsys.readouterr().err  # pytest's stderr is not a terminal
    monkeypatch.setenv("CLASSDYN_PROGRESS", "1")
    list(progress.progress(range(3), desc="x"))
    assert "x:" in capsys.readouterr().err
    monkeypatch.setattr(progress, "QUIET", True)
    list(progress.progress(range(3), desc="x"))
    assert "x:" not in capsys.readouterr().err
