"""Runs of ``classdyn simulate …``: parameter hashing, memory estimates, checkpoint/resume.

A run lives in ``<out>/simulate/<command>/<key>/`` where ``key`` hashes the run's parameters.
Its work is split into *units* (the feature matrices; one training seed; one ``(d, seed)``
speciation sweep), each saved atomically as ``parts/<unit>.npz`` the moment it finishes. A rerun
with the same parameters loads the finished units and computes only the missing ones, so a run
killed halfway continues without redoing or losing finished work. The final result is
``result.json`` + ``result.npz`` (atomic).

Testing hook: the environment variable ``CLASSDYN_STOP_AFTER_UNITS=k`` raises
``KeyboardInterrupt`` once ``k`` units have been *computed* in this process (an injected kill).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from classdyn.io import atomic_save_npz, atomic_write_json, to_jsonable

GB = 1024.0**3


def run_key(params: dict, version: str | None = None) -> str:
    """Hash of the run's parameters and of the code version (:func:`classdyn.provenance.
    code_version`): parts computed by other code are never resumed."""
    if version is None:
        from classdyn.provenance import code_version

        version = code_version()
    blob = json.dumps({"params": to_jsonable(params), "code_version": version}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


class Run:
    """A checkpointed run folder (module docstring)."""

    def __init__(self, out: Path, command: str, params: dict):
        self.params = params
        self.key = run_key(params)
        self.dir = Path(out) / "simulate" / command / self.key
        self.parts = self.dir / "parts"
        self.parts.mkdir(parents=True, exist_ok=True)
        atomic_write_json(self.dir / "params.json", params)
        self.computed: list[str] = []
        self.loaded: list[str] = []
        self._costs: list[float] | None = None
        self._calls = 0
        stop = os.environ.get("CLASSDYN_STOP_AFTER_UNITS", "")
        self._stop_after = int(stop) if stop.strip() else None

    def expect(self, costs) -> None:
        """Announce the units to come, in order, by their relative costs (e.g. ``d`` for
        simulate speciation's units at moderate d): after the second unit computed in this process (the
        first also pays Numba's compilation), the time the remaining ones should take is
        logged (:meth:`unit`)."""
        self._costs = [float(c) for c in costs]

    def _estimate(self, index: int, seconds: float) -> None:
        costs = self._costs
        if not costs or index >= len(costs) or costs[index] <= 0:
            return
        rest = seconds / costs[index] * sum(costs[index + 1:])
        if rest >= 5.0:
            from classdyn.log import get_logger

            get_logger(__name__).info(
                f"unit {index + 1} of {len(costs)} took {seconds:.1f} s; the remaining "
                f"{len(costs) - index - 1} should take about {_duration(rest)} (estimated from "
                f"their relative costs)")

    def unit(self, name: str, compute: Callable[[], dict[str, np.ndarray]]) -> dict:
        """Load unit ``name`` if finished earlier, else compute and save it atomically."""
        index = self._calls
        self._calls += 1
        path = self.parts / f"{name}.npz"
        if path.exists():
            try:
                with np.load(path, allow_pickle=False) as z:
                    arrays = {k: z[k] for k in z.files}
                self.loaded.append(name)
                return arrays
            except Exception as exc:  # noqa: BLE001 - a damaged part is recomputed, never fatal
                from classdyn.log import get_logger

                get_logger(__name__).warning(
                    f"part {path} is unreadable ({type(exc).__name__}: {exc}); recomputing it")
                path.unlink(missing_ok=True)
        t0 = time.perf_counter()
        arrays = compute()
        if len(self.computed) == 1:  # the second unit: the first one also paid compilation
            self._estimate(index, time.perf_counter() - t0)
        atomic_save_npz(path, **{k: np.asarray(v) for k, v in arrays.items()})
        self.computed.append(name)
        if self._stop_after is not None and len(self.computed) >= self._stop_after:
            raise KeyboardInterrupt(f"injected stop after {len(self.computed)} unit(s)")
        return arrays

    def resume_note(self) -> str:
        """`` (N of M units resumed from an earlier run: cached)`` for the summary, or ``""``
        when every unit was computed now."""
        if not self.loaded:
            return ""
        total = len(self.loaded) + len(self.computed)
        return f" ({len(self.loaded)} of {total} unit(s) resumed from an earlier run: cached)"

    def finish(self, data: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict:
        data = dict(data)
        data["run"] = {"dir": str(self.dir), "key": self.key, "units_computed": self.computed,
                       "units_resumed": self.loaded}
        if self.loaded:
            from classdyn.log import get_logger

            get_logger(__name__).info(f"resumed {len(self.loaded)} finished unit(s) of "
                                      f"{self.dir}; computed {len(self.computed)}")
        npz = atomic_save_npz(self.dir / "result.npz",
                              **{k: np.asarray(v) for k, v in arrays.items()})
        # the pair is one unit: the JSON, written last, names the digest of the NPZ it goes with
        data["run"]["result_npz_sha256"] = hashlib.sha256(npz.read_bytes()).hexdigest()
        atomic_write_json(self.dir / "result.json", data)
        return data


def _duration(seconds: float) -> str:
    """``42 s``, ``3.5 min`` or ``1.2 h``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def estimate_memory_gb(command: str, d: int, p: int, n: int, C: int, num_tau: int = 200,
                       mehler_mb: float = 512.0) -> float:
    """Peak memory (GiB, float64) of a run, counted from the arrays it holds at once.

    losses: ``W, X`` (p·d, n·d), ``U``, eigenvectors ``Q``, ``B = ṼṼᵀ``, a rotated class matrix
    and its product (5 p²), the class matrices ``U_c`` (C p²), ``V, V_c`` ((C+1) p·d), the
    eigensolver's workspace (~2 p²), the τ grid factors (2 T·p) and the Mehler builder's own
    budget. train: the same plus the GD buffers (n·p, n·d, 2 d·p). speciation: ``W, X``, the
    matrices ``U, U₀, S, S₀, K`` (5 p²), workspace (2 p²) and the Mehler budget.
    """
    w = 8.0
    if command == "speciation":
        elems = p * d + 2 * n * d + 7 * p * p
    else:
        elems = p * d + n * d + (7 + C) * p * p + (C + 2) * p * d + 2 * num_tau * p
        if command == "train":
            elems += n * p + n * d + 2 * d * p + n * p
    return elems * w / GB + mehler_mb / 1024.0


def check_memory(command: str, budget_gb: float, **sizes) -> float:
    """Raise ``ValueError`` before any work when the estimate exceeds ``budget_gb``."""
    need = estimate_memory_gb(command, **sizes)
    if need > budget_gb:
        raise ValueError(f"--memory-gb {budget_gb:g} is too small: simulate {command} at "
                         f"{', '.join(f'{k}={v}' for k, v in sizes.items())} needs about "
                         f"{need:.2f} GiB; raise --memory-gb or lower --d")
    return need
