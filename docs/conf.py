"""Sphinx configuration of the classdyn documentation.

Build (from the repository root, warnings are errors):

    python -m sphinx -W -b html docs docs/_build/html

Pages are MyST Markdown (parsed by myst-nb, which also reads notebooks); equations are written
``$$ ... $$ (label)`` and referenced with ``{eq}`label```; MathJax renders them.
"""

from __future__ import annotations

import os
import sys

# the package, for the version (and, later, for autodoc of the API pages)
sys.path.insert(0, os.path.abspath(".."))

project = "classdyn"
author = "the classdyn developers"
copyright = f"2026, {author}"  # noqa: A001 (Sphinx's name)

try:
    from classdyn import __version__ as release
except Exception:  # docs must build even where the package cannot be imported
    release = "0.1.0"
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_nb",  # MyST Markdown pages (and notebooks, once examples exist)
    "numpydoc",  # numpydoc docstrings, for the API pages
    "sphinx.ext.mathjax",
]

source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
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

# no notebook is executed while building (there are none yet; examples may add some)
nb_execution_mode = "off"

# ------------------------------------------------------------------ numbering
# Equations carry the number of their page in the numbered theory toctree: (5.3) is the third
# numbered equation of theory page 5.
numfig = True
math_numfig = True
numfig_secnum_depth = 1
math_eqref_format = "({number})"

# ------------------------------------------------------------------ numpydoc
numpydoc_show_class_members = False

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
