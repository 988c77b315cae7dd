"""Progress bars on stderr (tqdm), so that ``--json`` output on stdout stays clean.

Shown only when stderr is a terminal, unless asked for (``CLASSDYN_PROGRESS=1``); never with
``CLASSDYN_NO_PROGRESS=1`` or ``-q`` (quiet, :data:`QUIET`)."""

from __future__ import annotations

import os
import sys
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")

#: set by ``classdyn -q``: no progress bars
QUIET = False


def _enabled() -> bool:
    if QUIET or os.environ.get("CLASSDYN_NO_PROGRESS", "") not in ("", "0"):
        return False
    if os.environ.get("CLASSDYN_PROGRESS", "") not in ("", "0"):
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def progress(iterable: Iterable[T], desc: str = "", total: int | None = None,
             disable: bool | None = None, **kw) -> Iterator[T]:
    """Wrap ``iterable`` in a tqdm bar written to stderr.

    Disabled when ``CLASSDYN_NO_PROGRESS=1`` is set (tests, CI logs) unless ``disable`` is given.
    """
    from tqdm.auto import tqdm

    if disable is None:
        disable = not _enabled()
    return iter(tqdm(iterable, desc=desc, total=total, file=sys.stderr, disable=disable,
                     dynamic_ncols=True, **kw))
