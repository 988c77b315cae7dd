"""Progress bars on stderr (tqdm), so that ``--json`` output on stdout stays clean."""

from __future__ import annotations

import os
import sys
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")


def progress(iterable: Iterable[T], desc: str = "", total: int | None = None,
             disable: bool | None = None, **kw) -> Iterator[T]:
    """Wrap ``iterable`` in a tqdm bar written to stderr.

    Disabled when ``CLASSDYN_NO_PROGRESS=1`` is set (tests, CI logs) unless ``disable`` is given.
    """
    from tqdm.auto import tqdm

    if disable is None:
        disable = os.environ.get("CLASSDYN_NO_PROGRESS", "") not in ("", "0")
    return iter(tqdm(iterable, desc=desc, total=total, file=sys.stderr, disable=disable,
                     dynamic_ncols=True, **kw))
