"""``.. classdyn-api:: PACKAGE``: the API reference of one package, from its ``__all__``.

The directive imports the package, reads ``__all__`` (the names are exported lazily, PEP 562:
``getattr`` loads the defining submodule) and writes, as reStructuredText parsed in place:

* a table of every name with the first paragraph of its docstring, linking to the entries
  below;
* one autodoc entry per name, grouped as classes, functions and data, each documented under its
  public path (``classdyn.theory.Mixture``, not ``classdyn.theory.params.Mixture``); numpydoc
  renders the docstrings' Parameters/Returns/Examples sections.

Data (constants) have no ``__doc__`` of their own; their ``#:`` comment is read from the
submodule that defines them. ``classdyn.theory.model`` is both a submodule and the function of
that name (the module is made callable); it is documented as the function.

The page is rebuilt when the package's ``__init__`` changes (``__all__``), and autodoc records
the submodules, so a changed docstring rebuilds it too.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.pycode import ModuleAnalyzer
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

GROUPS = (("class", "Classes"), ("function", "Functions"), ("data", "Data"))


def callable_module_function(obj):
    """The function a callable module stands for (``classdyn.theory.model``), else None."""
    if inspect.ismodule(obj) and callable(obj):
        func = getattr(obj, obj.__name__.rpartition(".")[2], None)
        if inspect.isfunction(func):
            return func
    return None


def kind_of(obj) -> str:
    if inspect.isclass(obj):
        return "class"
    if inspect.isroutine(obj) or callable_module_function(obj) is not None:
        return "function"
    return "data"


def data_comment(package: str, name: str, obj) -> list[str]:
    """The ``#:`` comment of ``name`` in the (loaded) submodule of ``package`` that defines it."""
    for modname, mod in sorted(sys.modules.items()):
        if mod is None or not (modname == package or modname.startswith(package + ".")):
            continue
        if getattr(mod, name, _MISSING) is not obj:
            continue
        try:
            docs = ModuleAnalyzer.for_module(modname).find_attr_docs()
        except Exception:  # noqa: BLE001 (no source: no comment)
            continue
        lines = docs.get(("", name))
        if lines:
            return list(lines)
    return []


_MISSING = object()


class ClassdynAPI(SphinxDirective):
    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        package = self.arguments[0]
        pkg = importlib.import_module(package)
        if getattr(pkg, "__file__", None):
            self.env.note_dependency(pkg.__file__)
        names = list(pkg.__all__)
        objs = {name: getattr(pkg, name) for name in names}
        groups = {key: [n for n in names if kind_of(objs[n]) == key] for key, _ in GROUPS}

        rst = [f".. currentmodule:: {package}", "",
               f"``{package}`` exports {len(names)} names (``__all__``):", "",
               ".. list-table::", "   :widths: 30 70", "   :class: classdyn-api-summary", ""]
        for name in names:
            summary = " ".join(self.doc_lines(package, name, objs[name])[:1]) or " "
            rst += [f"   * - :py:obj:`{name} <{package}.{name}>`", f"     - {summary}"]
        rst.append("")
        for key, title in GROUPS:
            if not groups[key]:
                continue
            rst += [title, "-" * len(title), ""]
            for name in groups[key]:
                rst += self.entry(package, key, name, objs[name]) + [""]
        content = StringList(rst, source=f"<classdyn-api {package}>")
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, content, node)
        return node.children

    @staticmethod
    def doc_lines(package: str, name: str, obj) -> list[str]:
        """The first paragraph of the docstring (``#:`` comment for data), as one line."""
        kind = kind_of(obj)
        if kind == "data":
            lines = ClassdynAPI.data_doc(package, name, obj)
        else:
            func = callable_module_function(obj)
            lines = (inspect.getdoc(func if func is not None else obj) or "").splitlines()
        first = []
        for line in lines:
            if not line.strip():
                break
            first.append(line.strip())
        return [" ".join(first)] if first else []

    @staticmethod
    def data_doc(package: str, name: str, obj) -> list[str]:
        if name == "__version__":
            return ["The version of the package (``classdyn.__version__``)."]
        return data_comment(package, name, obj) or [
            f"The value ``{package}.{name}`` (no description in the source)."]

    @staticmethod
    def entry(package: str, key: str, name: str, obj) -> list[str]:
        if key == "class":
            return [f".. autoclass:: {name}", "   :members:"]
        if key == "function":
            func = callable_module_function(obj)
            if func is not None:  # the signature given, so autodoc does not look for one
                return [f".. autofunction:: {name}{plain_signature(func)}"]
            return [f".. autofunction:: {name}"]
        value = repr(obj)
        if len(value) > 120:
            value = value[:117] + "..."
        out = [f".. py:data:: {name}", f"   :value: {value}", ""]
        doc = ClassdynAPI.data_doc(package, name, obj)
        return out + [f"   {line}" if line else "" for line in doc]


def _callable_module_doc(app, what, name, obj, options, lines):
    """Before numpydoc: a callable module documents the function it stands for."""
    func = callable_module_function(obj)
    if func is not None:
        lines[:] = (inspect.getdoc(func) or "").splitlines()


def plain_signature(func) -> str:
    """``(a, b=1, *, c=None)``: the signature without annotations (``autodoc_typehints = "none"``)."""
    sig = inspect.signature(func)
    params = [p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()]
    return str(sig.replace(parameters=params, return_annotation=inspect.Signature.empty))


_STAR_ARG = re.compile(r"(?<=, )\*(?=\w+\))")


def _escape_star_args(app, what, name, obj, options, lines):
    """Before numpydoc: ``(b, *shape)`` in running text is a shape, not the start of emphasis."""
    for i, line in enumerate(lines):
        if "*" in line:
            parts = line.split("``")  # odd parts are inline literals: left alone
            parts[::2] = [_STAR_ARG.sub(r"\\*", part) for part in parts[::2]]
            lines[i] = "``".join(parts)


def setup(app):
    app.setup_extension("sphinx.ext.autodoc")
    app.add_directive("classdyn-api", ClassdynAPI)
    app.connect("autodoc-process-docstring", _callable_module_doc, priority=100)
    app.connect("autodoc-process-docstring", _escape_star_args, priority=100)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
