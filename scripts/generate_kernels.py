"""Rewrite classdyn/theory/_generated_coeffs.py from the SymPy closed forms (issue 12).

Usage: ``python scripts/generate_kernels.py`` (then commit the file; tests/theory/test_codegen.py
checks that the committed module equals a fresh generation).
"""

from classdyn.theory.codegen import write

if __name__ == "__main__":
    print(f"wrote {write()}")
