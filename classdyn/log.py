"""The ``classdyn`` logger: messages for people on stderr, so that ``--json`` output on stdout
stays clean; ``-v`` / ``-q`` on the command line set its level.

Levels: ``-q`` warnings and errors only (and no progress bars); default information (what a
long command is doing, estimates, which checks ran); ``-v`` also debug details.
"""

from __future__ import annotations

import logging
import sys

#: the package's root logger; modules log through ``get_logger(__name__)``
LOGGER = logging.getLogger("classdyn")

_HANDLER: logging.Handler | None = None


def get_logger(name: str | None = None) -> logging.Logger:
    """The ``classdyn`` logger, or its child for a module.

    Parameters
    ----------
    name : str, optional
        A module name such as ``"classdyn.validation.runner"`` (a child logger is returned), or
        ``None`` for the package logger.

    Returns
    -------
    logging.Logger

    Examples
    --------
    >>> from classdyn.log import get_logger
    >>> get_logger("classdyn.validation.runner").name
    'classdyn.validation.runner'
    >>> get_logger().name
    'classdyn'
    """
    if not name or name == "classdyn":
        return LOGGER
    return logging.getLogger(name if name.startswith("classdyn.") else f"classdyn.{name}")


def verbosity_level(verbosity: int) -> int:
    """``logging`` level for a verbosity: ``< 0`` (``-q``) WARNING, ``0`` INFO, ``> 0`` DEBUG.

    Parameters
    ----------
    verbosity : int
        ``-q`` counts −1, each ``-v`` +1.

    Returns
    -------
    int
        A :mod:`logging` level.

    Examples
    --------
    >>> import logging
    >>> from classdyn.log import verbosity_level
    >>> [logging.getLevelName(verbosity_level(v)) for v in (-1, 0, 2)]
    ['WARNING', 'INFO', 'DEBUG']
    """
    return logging.WARNING if verbosity < 0 else logging.INFO if verbosity == 0 else logging.DEBUG


def configure(verbosity: int = 0, stream=None) -> logging.Logger:
    """Send the ``classdyn`` logger to ``stream`` (default stderr) as ``classdyn: message`` at
    the level of ``verbosity``; calling it again replaces the handler it installed before.

    Parameters
    ----------
    verbosity : int, optional
        ``-1`` quiet, ``0`` (default) information, ``1`` or more debug.
    stream : file-like, optional
        Where messages go (default ``sys.stderr`` at the time of the call).

    Returns
    -------
    logging.Logger
        The configured ``classdyn`` logger.

    Examples
    --------
    >>> import io
    >>> from classdyn.log import configure
    >>> buf = io.StringIO()
    >>> log = configure(0, stream=buf)
    >>> log.info("3 checks to run"); log.debug("hidden at the default level")
    >>> buf.getvalue()
    'classdyn: 3 checks to run\\n'
    """
    global _HANDLER
    if _HANDLER is not None:
        LOGGER.removeHandler(_HANDLER)
    _HANDLER = logging.StreamHandler(stream if stream is not None else sys.stderr)
    _HANDLER.setFormatter(logging.Formatter("classdyn: %(message)s"))
    LOGGER.addHandler(_HANDLER)
    LOGGER.setLevel(verbosity_level(verbosity))
    LOGGER.propagate = False
    return LOGGER
