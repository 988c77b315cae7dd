"""The documentation site builds with warnings as errors and has what issue 13 asks of it.

One build per test session (module-scoped fixture) into a temporary folder, with the same
command as ``make docs`` (``sphinx -W -b html``). The tutorials' notebook outputs are cached by
jupyter-cache in ``docs/_build/.jupyter_cache``, the cache ``make docs`` uses, so a notebook
whose code is unchanged is executed once for both (CI runs ``make test`` then ``make docs``).

Build time on 2 cores shared with a long job: about 50 s with the notebook cache warm (most of it
autodoc importing the packages, torch included), about 140 s cold (the four tutorials executed),
hence ``slow``.
"""

from __future__ import annotations

import argparse
import importlib
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PACKAGES = ("classdyn", "classdyn.theory", "classdyn.simulate", "classdyn.ddpm",
            "classdyn.validation")
API_PAGES = {"classdyn": "classdyn", "classdyn.theory": "theory",
             "classdyn.simulate": "simulate", "classdyn.ddpm": "ddpm",
             "classdyn.validation": "validation"}
TUTORIALS = ("coefficients", "spectrum", "extensive", "fashion-mnist")

pytestmark = [pytest.mark.slow, pytest.mark.ddpm]  # slow: see the module docstring; ddpm: torch


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_nb")
    pytest.importorskip("torch")  # the ddpm API page imports it
    out = tmp_path_factory.mktemp("docs") / "html"
    cache = DOCS / "_build" / ".jupyter_cache"
    cache.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html",
           "-D", f"nb_execution_cache_path={cache}", str(DOCS), str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"docs build failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}"
    return out


def read(site: Path, page: str) -> str:
    path = site / page
    assert path.is_file(), f"{page} was not built"
    return path.read_text(encoding="utf-8")


def test_theory_pages_render_math(site):
    html = read(site, "theory/model.html")
    assert re.search(r"<script[^>]+src=\"[^\"]*mathjax[^\"]*\"", html, re.I), "no MathJax script"
    display = re.findall(r'<div class="math notranslate nohighlight"[^>]*>(.*?)</div>', html, re.S)
    inline = re.findall(r'<span class="math notranslate nohighlight"[^>]*>(.*?)</span>', html, re.S)
    assert any("\\[" in m and m.rstrip().endswith("\\]") for m in display), "no display equation"
    assert any(m.strip().startswith("\\(") for m in inline), "no inline math"


@pytest.mark.parametrize("name", TUTORIALS)
def test_tutorials_show_their_figures(site, name):
    page = site / "tutorials" / f"{name}.html"
    html = read(site, f"tutorials/{name}.html")
    srcs = re.findall(r'<img[^>]+src="([^"]+)"', html)
    assert srcs, f"tutorial {name} shows no figure"
    for src in srcs:
        assert not src.startswith(("http:", "https:", "data:")), src
        assert (page.parent / unquote(src)).resolve().is_file(), f"{name}: missing image {src}"
    for kind in ("traceback", "stderr"):  # a failed cell, a warning printed by a cell
        assert f'class="output {kind}' not in html, f"tutorial {name} shows {kind} output"


@pytest.mark.parametrize("package", PACKAGES)
def test_api_page_lists_every_public_name(site, package):
    html = read(site, f"api/{API_PAGES[package]}.html")
    names = importlib.import_module(package).__all__
    missing = [n for n in names if f'id="{package}.{n}"' not in html]
    assert not missing, f"api/{API_PAGES[package]}.html lacks entries for {missing}"


def _commands(parser: argparse.ArgumentParser, path=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield path + (name,)
                yield from _commands(sub, path + (name,))


def test_cli_page_has_every_command(site):
    from classdyn.cli import build_parser

    html = read(site, "cli.html")
    commands = list(_commands(build_parser()))
    assert ("simulate", "losses") in commands
    missing = [" ".join(c) for c in commands if f"usage: classdyn {' '.join(c)}" not in html]
    assert not missing, f"cli.html lacks the help of {missing}"


def test_search_index_has_the_site(site):
    index = read(site, "searchindex.js")
    assert index.startswith("Search.setIndex(")
    for word in ('"speciat"', '"mixtur"', '"Command-line reference"', '"tutorials/spectrum"'):
        assert word in index, f"{word} not in the search index"
