"""classdyn.provenance: the code version is a hash of the package sources (it changes when a
source's bytes or path change, and only then), no git commit outside a checkout, and the record
saved with results names the command, the code version and the library versions."""

import re

import classdyn.provenance as prov


def _tree(root, text="x = 1\n"):
    (root / "classdyn").mkdir(parents=True, exist_ok=True)
    (root / "classdyn" / "a.py").write_text(text)
    (root / "classdyn" / "notes.txt").write_text("not a source")
    return root


def test_code_version_follows_the_sources(tmp_path, monkeypatch):
    monkeypatch.setattr(prov, "_ROOT", _tree(tmp_path))
    v1 = prov.code_version()
    assert re.fullmatch(r"[0-9a-f]{16}", v1)
    assert prov.code_version() == v1  # deterministic
    (tmp_path / "classdyn" / "notes.txt").write_text("edited")  # not a .py source
    assert prov.code_version() == v1
    (tmp_path / "classdyn" / "a.py").write_text("x = 2\n")  # bytes of a source
    v2 = prov.code_version()
    assert v2 != v1
    (tmp_path / "classdyn" / "a.py").rename(tmp_path / "classdyn" / "b.py")  # path of a source
    assert prov.code_version() not in (v1, v2)


def test_no_git_commit_outside_a_checkout(tmp_path, monkeypatch):
    monkeypatch.setattr(prov, "_ROOT", _tree(tmp_path))
    assert prov.git_commit() is None


def test_provenance_record(monkeypatch):
    rec = prov.provenance("classdyn spectrum --t 0.1")
    assert set(rec) == {"command", "code_version", "git_commit", "versions"}
    assert rec["command"] == "classdyn spectrum --t 0.1"
    assert rec["code_version"] == prov.code_version()
    assert rec["versions"]["numpy"] != "not installed" and "python" in rec["versions"]
    # without a command: sys.argv, with the entry point shown as ``classdyn``
    monkeypatch.setattr(prov.sys, "argv", ["/somewhere/classdyn/__main__.py", "validate", "--list"])
    assert prov.provenance()["command"] == "classdyn validate --list"
