"""classdyn.progress: the bar goes to stderr (stdout stays clean for ``--json``), every item comes
through in order, and ``CLASSDYN_NO_PROGRESS`` turns the bar off unless ``disable`` is given."""

from classdyn.progress import progress


def test_items_in_order_and_the_bar_on_stderr_only(capsys, monkeypatch):
    monkeypatch.setenv("CLASSDYN_NO_PROGRESS", "0")
    monkeypatch.setenv("CLASSDYN_PROGRESS", "1")  # asked for: pytest's stderr is no terminal
    assert list(progress(iter(range(5)), desc="counting", total=5)) == [0, 1, 2, 3, 4]
    out, err = capsys.readouterr()
    assert out == ""
    assert "counting" in err and "5/5" in err


def test_environment_switch_and_explicit_disable(capsys, monkeypatch):
    monkeypatch.setenv("CLASSDYN_NO_PROGRESS", "1")
    assert list(progress(["a", "b"], desc="quiet")) == ["a", "b"]
    assert capsys.readouterr().err == ""
    # an explicit disable=False wins over the environment
    assert list(progress(["a", "b"], desc="loud", disable=False)) == ["a", "b"]
    assert "loud" in capsys.readouterr().err
    monkeypatch.setenv("CLASSDYN_NO_PROGRESS", "0")
    assert list(progress(["a"], desc="off", disable=True)) == ["a"]
    assert capsys.readouterr().err == ""
