"""``CLASSDYN_CACHE_DIR`` (classdyn/__init__.py): compiled kernels are cached there, a second
process reuses them, and an edited kernel source is not served from the stale cache."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import classdyn

# 1000 values of m: large work, so the compiled kernels run (a handful of values runs the same
# kernels as plain Python and never touches Numba: issue 16)
CODE = ("import numpy as np\n"
        "from classdyn.theory.coefficients import coefficients\n"
        "m = np.linspace(0.3, 1.3, 1000)\n"
        "print(float(coefficients('tanh', m, np.ones_like(m), 0.1).a[0]))\n")


def _run(env, cwd):
    out = subprocess.run([sys.executable, "-c", CODE], env=env, cwd=cwd, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip()


def test_cache_dir_is_honoured(tmp_path):
    env = {**os.environ, "CLASSDYN_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("NUMBA_CACHE_DIR", None)
    first = _run(env, tmp_path)
    files = list((tmp_path / "cache" / "numba").rglob("*.nbi"))
    assert files, "no Numba index written under CLASSDYN_CACHE_DIR"
    assert _run(env, tmp_path) == first  # served from the cache, same number


def test_a_read_only_source_tree_still_works(tmp_path):
    """A copy of the package, in the installed layout, on a read-only file system (a read-only
    bind mount as root; plain permission bits otherwise, which stop any non-root user): the
    copy is what runs, kernels compile and cache under CLASSDYN_CACHE_DIR, nothing breaks."""
    src = Path(classdyn.__file__).resolve().parents[1]
    site = tmp_path / "site"
    site.mkdir()
    shutil.copytree(src / "classdyn", site / "classdyn",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for pkg in ("theory", "simulate", "ddpm", "validation"):
        shutil.copytree(src / pkg, site / "classdyn" / pkg,
                        ignore=shutil.ignore_patterns("__pycache__"))
    ro = tmp_path / "ro"
    ro.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "--bind", str(site), str(ro)], capture_output=True).returncode == 0
    if mounted:
        if subprocess.run(["mount", "-o", "remount,ro,bind", str(ro)],
                          capture_output=True).returncode:
            subprocess.run(["umount", str(ro)])
            mounted = False
    if not mounted:
        if os.geteuid() == 0:
            import pytest

            pytest.skip("root without mount: permission bits would not make the copy read-only")
        ro = site
        for root, dirs, files in os.walk(site):
            for name in files:
                os.chmod(os.path.join(root, name), 0o444)
            os.chmod(root, 0o555)
    env = {**os.environ, "PYTHONPATH": str(ro), "CLASSDYN_CACHE_DIR": str(tmp_path / "c")}
    env.pop("NUMBA_CACHE_DIR", None)
    code = CODE + "import classdyn.theory.coefficients as m; print(m.__file__)\n"
    try:
        out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path,
                             capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, out.stderr[-2000:]
        value, where = out.stdout.split()
        assert where.startswith(str(ro)) and 0.0 < float(value) < 1.0
        assert list((tmp_path / "c" / "numba").rglob("*.nbi"))
    finally:
        if mounted:
            subprocess.run(["umount", str(ro)])
        else:
            for root, dirs, files in os.walk(site):
                os.chmod(root, 0o755)


def test_a_stale_cache_is_not_used_after_a_code_change(tmp_path):
    """Numba keys its cache on the source file's stamp: after a kernel source changes, the next
    process recompiles instead of serving the old machine code (here the Owen's-T kernel of
    the erf closed forms is scaled by 2, and the value moves)."""
    src = Path(classdyn.__file__).resolve().parents[1]
    site = tmp_path / "site"
    shutil.copytree(src / "classdyn", site / "classdyn",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for pkg in ("theory", "simulate", "ddpm", "validation"):
        shutil.copytree(src / pkg, site / "classdyn" / pkg,
                        ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(site), "CLASSDYN_CACHE_DIR": str(tmp_path / "c")}
    env.pop("NUMBA_CACHE_DIR", None)
    code = CODE.replace("'tanh'", "'erf'").replace(".a[0]", ".v2[0]")
    run = lambda: subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path,  # noqa: E731
                                 capture_output=True, text=True, timeout=600).stdout.strip()
    before = float(run())
    quad = site / "classdyn" / "theory" / "quadrature.py"
    text = quad.read_text()
    assert "    return tot / (2.0 * math.pi)\n" in text
    quad.write_text(text.replace("    return tot / (2.0 * math.pi)\n",
                                 "    return 2.0 * tot / (2.0 * math.pi)\n"))
    after = float(run())
    assert before > 0 and abs(after - before) > 0.1 * before, (before, after)


def test_cached_kernels_depend_on_every_file_they_call_into():
    # Numba stamps a cache with its own file only; the generated erf kernels call the Owen's-T
    # rule of quadrature.py, so their stamp must cover both files (theory/_lazyjit.py), or an
    # edit of quadrature.py would be served stale (the test above edits exactly that file).
    from classdyn.theory import _generated_coeffs as G
    from classdyn.theory._lazyjit import _dependency_files

    files = {Path(f).name for f in _dependency_files(G.erf_batch)}
    assert {"_generated_coeffs.py", "quadrature.py"} <= files
    stamp = G.erf_batch.jit._cache._cache_file._source_stamp
    assert {Path(f).name for f, _, _ in stamp} == files
