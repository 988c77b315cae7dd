"""classdyn.simulate's package door: every name of __all__ resolves, lazily (PEP 562)."""

import subprocess
import sys

import pytest

import classdyn.simulate as S


def test_all_names_resolve_to_their_module():
    for name in S.__all__:
        obj = getattr(S, name)
        module = next(m for m, names in S._EXPORTS.items() if name in names)
        assert obj is getattr(__import__(f"classdyn.simulate.{module}", fromlist=[name]), name)
    assert sorted(S.__all__) == sorted(set(S.__all__))  # no name exported twice
    with pytest.raises(AttributeError, match="no attribute"):
        S.not_a_name  # noqa: B018


def test_import_is_light():
    code = ("import sys, classdyn.simulate; "
            "print(','.join(m for m in ('numpy', 'scipy', 'numba') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
