"""The README's Python examples run as written (in a fresh process, outside the repository, so
only the installed ``classdyn.*`` names resolve)."""

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_python_examples():
    blocks = _python_blocks()
    assert blocks and all("classdyn" in b for b in blocks)


def test_readme_python_examples_run(tmp_path):
    for i, code in enumerate(_python_blocks()):
        res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                             text=True, timeout=600)
        assert res.returncode == 0, (i, res.stderr[-2000:])
