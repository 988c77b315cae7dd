"""``classdyn.theory`` exports its public API lazily (PEP 562) and stays light to import."""

import subprocess
import sys


def test_import_is_light_and_names_load_on_demand():
    code = ("import sys, classdyn.theory as T\n"
            "heavy = [m for m in ('numba', 'sympy', 'torch', 'matplotlib', 'mpmath', 'scipy') "
            "if m in sys.modules]\n"
            "assert not heavy, heavy\n"
            "assert 'model' in T.__all__ and 'model' in dir(T)\n"
            "from classdyn.theory import model, Mixture\n"
            "from classdyn.theory.model import model as m2\n"
            "assert model is m2 and Mixture.__name__ == 'Mixture'\n"
            "print('ok')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_every_exported_name_resolves_and_unknown_names_raise():
    import pytest

    import classdyn.theory as T

    for name in T.__all__:
        assert getattr(T, name) is not None, name
    with pytest.raises(AttributeError, match="no_such_name"):
        T.no_such_name  # noqa: B018


def test_the_door_is_callable_as_classdyn_theory_model_whatever_was_imported_first():
    import classdyn.theory
    import classdyn.theory.model  # the package attribute may now be the module
    from classdyn.theory.model import CentredModel
    from classdyn.theory.params import Mixture, RandomFeatures

    m = classdyn.theory.model(Mixture((1.0, 2.0)), RandomFeatures(4.0, 2.0, "tanh"), 0.01)
    assert isinstance(m, CentredModel)
