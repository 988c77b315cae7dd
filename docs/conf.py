"""Sphinx configuration of the classdyn documentation.

Build (from the repository root, warnings are errors):

    python -m sphinx -W -b html docs docs/_build/html

Pages are MyST Markdown (parsed by myst-nb, which also reads notebooks); equations are written
``$$ ... $$ (label)`` and referenced with ``{eq}`label```; MathJax renders them.

Generated parts:

* API reference (``api/*.rst``): the local extension ``_ext/apiref.py`` (directive
  ``classdyn-api``) lists every name of each package's ``__all__`` with autodoc + numpydoc;
* command-line reference (``cli.md``, generated, git-ignored): ``_ext/cliref.py`` writes it from
  ``classdyn.cli.build_parser()`` before the sources are read;
* tutorials (``tutorials/*.md``, MyST-NB notebooks) are executed while building, with their
  outputs cached by jupyter-cache in ``<build dir>/../.jupyter_cache`` (a notebook whose code is
  unchanged is not run again).
"""

from __future__ import annotations

import os
import sys

# the package, for the version and autodoc of the API pages; the local extensions
sys.path.insert(0, os.path.abspath(".."))
sys.path.insert(0, os.path.abspath("_ext"))

project = "classdyn"
author = "the classdyn developers"
copyright = f"2026, {author}"  # noqa: A001 (Sphinx's name)

try:
    from classdyn import __version__ as release
except Exception:  # docs must build even where the package cannot be imported
    release = "0.1.0"
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_nb",  # MyST Markdown pages and the tutorials (MyST Markdown notebooks)
    "sphinx.ext.autodoc",
    "numpydoc",  # numpydoc docstrings, for the API pages
    "sphinx.ext.mathjax",
    "apiref",  # _ext/apiref.py: the classdyn-api directive (API pages)
    "cliref",  # _ext/cliref.py: writes cli.md from the argparse tree
]

source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "jupyter_execute", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]

# ------------------------------------------------------------------ MyST
myst_enable_extensions = [
    "dollarmath",  # $...$ inline, $$...$$ (label) display math
    "amsmath",  # \begin{aligned} ... inside display math
    "colon_fence",  # ::: admonitions
    "deflist",
    "attrs_inline",
]
myst_dmath_double_inline = True
# "page.md#slug" links to headings (level 1-3), as GitHub renders them
myst_heading_anchors = 3

# ------------------------------------------------------------------ tutorials (MyST-NB)
# Executed at build time; outputs cached by jupyter-cache (default path: <outdir>/../.jupyter_cache),
# so a warm build re-runs only a notebook whose code changed. A failing cell fails the build.
nb_execution_mode = "cache"
nb_execution_timeout = 300  # seconds per cell
nb_execution_raise_on_error = True
nb_execution_show_tb = True  # the traceback in the build log when a cell fails
nb_merge_streams = True
# The kernel inherits this process's environment: an MPLBACKEND such as Agg (set by CI or by the
# test suite) would replace ipykernel's inline backend and the tutorials' figures would vanish
# (and be cached without them).
os.environ.pop("MPLBACKEND", None)

# ------------------------------------------------------------------ numbering
# Equations carry the number of their page in the numbered theory toctree: (5.3) is the third
# numbered equation of theory page 5.
numfig = True
math_numfig = True
numfig_secnum_depth = 1
math_eqref_format = "({number})"

# ------------------------------------------------------------------ API (autodoc, numpydoc)
autodoc_member_order = "bysource"
# torch is needed by the ddpm API page only to import the package's classes; where it is missing
# (a docs-only install) autodoc stands in for it rather than failing the build.
import importlib.util  # noqa: E402

autodoc_mock_imports = [] if importlib.util.find_spec("torch") else ["torch"]
autodoc_typehints = "none"  # the numpydoc sections carry the types
autodoc_default_options = {"exclude-members": "__init__, __new__, __post_init__"}
numpydoc_show_class_members = False
numpydoc_validation_checks = set()  # docstring style is tested in tests/, not here
numpydoc_xref_param_type = False
nitpicky = False

# ------------------------------------------------------------------ HTML
html_theme = "pydata_sphinx_theme"
html_title = f"classdyn {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_last_updated_fmt = None
html_show_sourcelink = False
