# classdyn: `make report` runs the main job, `make test` the test suite. Both set up .venv first
# (idempotent, fast when already set up; see scripts/setup.sh).
VENV ?= .venv
OUT ?= results
SIZE ?= small
export CLASSDYN_NO_PROGRESS ?= 0

.PHONY: setup report test docs bench clean

setup:
	@VENV=$(VENV) scripts/setup.sh

report: setup
	$(VENV)/bin/classdyn report --size $(SIZE) --out $(OUT)

test: setup
	CLASSDYN_NO_PROGRESS=1 $(VENV)/bin/python -m pytest -q

docs: setup
	$(VENV)/bin/python -m sphinx -W -q -b html docs docs/_build/html

bench: setup
	$(VENV)/bin/python -m benchmarks

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache docs/_build docs/jupyter_execute
