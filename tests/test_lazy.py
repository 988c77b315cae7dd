"""classdyn._lazy.lazy_exports: names load from their submodule on first access, are cached in
the package namespace, unknown names raise AttributeError, and dir() lists the public names."""

import pytest

from classdyn._lazy import lazy_exports


def test_lazy_exports_load_cache_and_refuse():
    ns = {}
    getattr_, dir_, public = lazy_exports("classdyn", {"io": ("read_json",)}, ns)
    assert public == ["read_json"] and "read_json" not in ns
    from classdyn.io import read_json

    assert getattr_("read_json") is read_json and ns["read_json"] is read_json
    assert "read_json" in dir_()
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        getattr_("nope")
