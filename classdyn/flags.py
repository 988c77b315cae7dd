"""The one flag vocabulary shared by every ``classdyn`` subcommand (DESIGN.md, Conventions).

Each ``add_*`` function adds a group of flags to an :mod:`argparse` parser with the same names,
meanings, units and defaults everywhere. Type converters reject bad values at parse time, so a bad
argument ends with a one-line message naming the flag and the allowed range, and exit code 2.
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

#: File systems whose files are not data: refused as an output folder.
VIRTUAL_ROOTS = ("/proc", "/sys", "/dev")

#: Free space an output folder needs at parse time (results are JSON/NPZ of a few MB at most;
#: long runs check again when they know their size).
MIN_FREE_BYTES = 16 * 2 ** 20


# ---------------------------------------------------------------- type converters
def _float(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return x


def positive_float(text: str) -> float:
    """A finite float > 0."""
    x = _float(text)
    if x <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return x


def nonnegative_float(text: str) -> float:
    """A finite float >= 0."""
    x = _float(text)
    if x < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return x


def unit_interval_open(text: str) -> float:
    """A float in the open interval (0, 1)."""
    x = _float(text)
    if not 0 < x < 1:
        raise argparse.ArgumentTypeError(f"must lie in (0, 1), got {text}")
    return x


def cosine(text: str) -> float:
    """A float in [-1, 1] (a cosine similarity)."""
    x = _float(text)
    if not -1 <= x <= 1:
        raise argparse.ArgumentTypeError(f"must lie in [-1, 1], got {text}")
    return x


def positive_int(text: str) -> int:
    """An integer >= 1."""
    try:
        k = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if k < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return k


def nonnegative_int(text: str) -> int:
    """An integer >= 0."""
    try:
        k = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if k < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return k


def dps_int(text: str) -> int:
    """Decimal digits for mpmath: an integer in [15, 1000]."""
    k = positive_int(text)
    if not 15 <= k <= 1000:
        raise argparse.ArgumentTypeError(f"must lie in [15, 1000] digits, got {text}")
    return k


# ---------------------------------------------------------------- flag groups
def add_mixture(parser: argparse.ArgumentParser, *, variances_default=(1.0, 2.0),
                with_centroids: bool = True) -> None:
    """``--variances``, ``--weights``, ``--norms2``, ``--overlaps``: the Gaussian mixture."""
    g = parser.add_argument_group("Gaussian mixture (docs/theory/model.md)")
    g.add_argument("--variances", type=positive_float, nargs="+", metavar="S2",
                   default=list(variances_default),
                   help="per-class variance sigma_c^2 of each coordinate (> 0; one per class; "
                        "default: %(default)s)")
    g.add_argument("--weights", type=positive_float, nargs="+", metavar="RHO", default=None,
                   help="class sampling weights rho_c (> 0, summing to 1; default: equal weights)")
    if with_centroids:
        g.add_argument("--norms2", type=nonnegative_float, nargs="+", metavar="N2", default=None,
                       help="squared centroid norm per dimension, |mu_c|^2/d (>= 0; 0 = centred "
                            "class; default: all 0)")
        g.add_argument("--overlaps", type=cosine, nargs="+", metavar="COS", default=None,
                       help="cosine similarities between centroids, the C(C-1)/2 upper-triangle "
                            "entries row by row (in [-1, 1]; default: orthogonal)")


#: The one default of the random-features sizes on every command (theory and simulate alike):
#: ψ_n > 1 and ψ_p ≥ 1 + ψ_n, so the generalisation / memorisation / final bulks all exist
#: (docs/theory/timescales.md) and ``classdyn times`` answers with the defaults.
DEFAULT_PSI_P = 4.0
DEFAULT_PSI_N = 2.0


def add_random_features(parser: argparse.ArgumentParser, *, activation: str = "tanh") -> None:
    """``--psi-p``, ``--psi-n``, ``--activation``: the random-features model, with the shared
    defaults :data:`DEFAULT_PSI_P`, :data:`DEFAULT_PSI_N` on every command."""
    g = parser.add_argument_group("random-features model (docs/theory/model.md)")
    g.add_argument("--psi-p", type=positive_float, default=DEFAULT_PSI_P, metavar="PSI_P",
                   help="p/d, hidden neurons per input dimension (> 0; default %(default)s, "
                        "the same on every command)")
    g.add_argument("--psi-n", type=positive_float, default=DEFAULT_PSI_N, metavar="PSI_N",
                   help="n/d, training samples per input dimension (> 0; default %(default)s, "
                        "the same on every command: psi_n > 1 and psi_p >= 1 + psi_n give "
                        "all three bulks)")
    g.add_argument("--activation", default=activation,
                   choices=["tanh", "erf", "relu", "linear"],
                   help="activation sigma of the random features (default: %(default)s)")


def add_time(parser: argparse.ArgumentParser, *, default: float = 0.1, multiple: bool = False
             ) -> None:
    """``--t``: the diffusion time of the Ornstein-Uhlenbeck forward process (dimensionless)."""
    parser.add_argument("--t", type=positive_float, default=[default] if multiple else default,
                        nargs="+" if multiple else None, metavar="T",
                        help="diffusion time t of the forward OU process dx = -x dt + sqrt(2) dB "
                             "(dimensionless, > 0; Delta_t = 1 - exp(-2t); default: %(default)s)")


def add_size(parser: argparse.ArgumentParser, *, default: int = 500) -> None:
    """``--d``: input dimension of a finite-size experiment."""
    parser.add_argument("--d", type=positive_int, default=default, metavar="D",
                        help="input dimension d (>= 1; p = psi_p d, n = psi_n d; "
                             "default: %(default)s)")


def add_seed(parser: argparse.ArgumentParser, *, default: int = 0) -> None:
    parser.add_argument("--seed", type=nonnegative_int, default=default,
                        help="seed of numpy.random.default_rng (>= 0; same seed, same numbers; "
                             "default: %(default)s)")


def add_dps(parser: argparse.ArgumentParser, *, default: int = 30) -> None:
    parser.add_argument("--dps", type=dps_int, default=default,
                        help="decimal digits of the mpmath high-precision path (15..1000; "
                             "default: %(default)s)")


def output_dir(text: str) -> Path:
    """An output folder that can be used: it exists as a writable folder, or it can be made
    (its nearest existing parent is a writable folder), it is not under a virtual file system
    (:data:`VIRTUAL_ROOTS`) and its file system has :data:`MIN_FREE_BYTES` free. Checked at
    parse time, before any work; the folder itself is made by the command that writes to it."""
    if not text or not text.strip():
        raise argparse.ArgumentTypeError("expected a folder path, got an empty string")
    path = Path(text).expanduser()
    full = Path(os.path.abspath(path))
    for root in VIRTUAL_ROOTS:
        if full == Path(root) or Path(root) in full.parents:
            raise argparse.ArgumentTypeError(f"{text}: is under {root}, a virtual file system, "
                                             "not a place for results")
    if full.exists() and not full.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: exists and is not a folder")
    probe = full
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: {probe} is not a folder, so the output "
                                         "folder cannot be made")
    if not os.access(probe, os.W_OK | os.X_OK):
        what = "is not writable" if probe == full else f"cannot be made ({probe} is not writable)"
        raise argparse.ArgumentTypeError(f"{text}: {what}")
    try:
        st = os.statvfs(probe)
    except OSError:
        st = None
    if st is not None and st.f_flag & os.ST_RDONLY:
        raise argparse.ArgumentTypeError(f"{text}: the file system of {probe} is read-only")
    if st is not None and st.f_bavail * st.f_frsize < MIN_FREE_BYTES:
        raise argparse.ArgumentTypeError(
            f"{text}: only {st.f_bavail * st.f_frsize / 2 ** 20:.1f} MiB free on the file system "
            f"of {probe} (need at least {MIN_FREE_BYTES // 2 ** 20} MiB)")
    return path


def add_output(parser: argparse.ArgumentParser, *, default: str = "results") -> None:
    """``--out`` and ``--json``, present on every subcommand (``--out`` checked by
    :func:`output_dir` before any work)."""
    parser.add_argument("--out", type=output_dir, default=str(default), metavar="DIR",
                        help="folder for results (JSON + NPZ, written atomically; made if "
                             "missing; default: %(default)s)")
    parser.add_argument("--json", action="store_true",
                        help="print the result as one JSON object on stdout (logs and progress "
                             "go to stderr)")


# ---------------------------------------------------------------- no silent overwrite
#: flags that change what is shown, not what is computed: a rerun that differs only in them
#: rewrites the same result files
DISPLAY_ONLY = frozenset({"out", "json", "force", "handler", "prog", "verbose", "quiet",
                          "command", "latex", "show_polynomials", "plot"})


def add_force(parser: argparse.ArgumentParser) -> None:
    """``--force``: replace a result in ``--out`` that another run (other parameters) made."""
    parser.add_argument("--force", action="store_true",
                        help="replace a result in --out that was made with different "
                             "parameters (without it such a result is kept and the command "
                             "refuses; the same parameters are always rewritten)")


def run_params(args: argparse.Namespace) -> dict:
    """The parameters of a command's run (every flag but :data:`DISPLAY_ONLY`), as JSON types.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.

    Returns
    -------
    dict
        Flag name (argparse ``dest``) to value, sorted; written beside a result so that a later
        run can tell whether the result is its own (:func:`check_overwrite`).

    Examples
    --------
    >>> import argparse
    >>> run_params(argparse.Namespace(t=0.1, variances=[1.0, 2.0], out="results", json=True))
    {'t': 0.1, 'variances': [1.0, 2.0]}
    """
    import json

    from classdyn.io import dumps

    keep = {k: v for k, v in sorted(vars(args).items())
            if k not in DISPLAY_ONLY and not callable(v)}
    return json.loads(dumps(keep))


def check_overwrite(path: str | os.PathLike, params: dict, force: bool = False) -> None:
    """Refuse to replace a result file that holds another run.

    ``path`` may be rewritten when it does not exist, when ``force`` is set, or when its
    ``"run_params"`` entry equals ``params`` (the same run again). Otherwise a ``ValueError``
    names the path, says that it holds another run, and offers ``--force`` or another
    ``--out`` (the CLI prints it as one line, exit 2), before any work is done.

    Parameters
    ----------
    path : str or os.PathLike
        The result file (e.g. ``results/spectrum.json``).
    params : dict
        This run's :func:`run_params`.
    force : bool, optional
        ``--force``: replace whatever is there (default False).

    Raises
    ------
    ValueError
        ``path`` holds a result with other (or unrecorded) parameters and ``force`` is False.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "spectrum.json"
    >>> _ = f.write_text(json.dumps({"run_params": {"t": 0.1}}))
    >>> check_overwrite(f, {"t": 0.1})  # the same run: may be rewritten
    >>> try:
    ...     check_overwrite(f, {"t": 0.2})
    ... except ValueError as exc:
    ...     print(str(exc).split(":")[0])
    argument --out
    >>> check_overwrite(f, {"t": 0.2}, force=True)
    """
    import json

    path = Path(path)
    if force or not path.exists():
        return
    try:
        old = json.loads(path.read_text()).get("run_params")
    except (OSError, ValueError, AttributeError):
        old = None
    if old == params:
        return
    why = "different parameters" if old is not None else "parameters it does not record"
    raise ValueError(f"argument --out: {path} holds another run (made with {why}); use --force "
                     "to replace it, or another --out")
