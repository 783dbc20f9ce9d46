# Two commands: `make lab` (set up and open the course) and `make test` (set up and run the tests).
# Both create .venv on first use and install the pinned environment; later runs reinstall nothing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KERNEL := autograd-course

.PHONY: lab lab-ja ja test demo bootstrap check-dot generate book clean

$(STAMP): requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "error: Python >= 3.10 is needed (found %s); set PYTHON=python3.1x" % sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (autograd course)" >/dev/null
	@touch $(STAMP)

bootstrap: $(STAMP) check-dot

check-dot:
	@command -v dot >/dev/null 2>&1 || { \
	  echo "note: Graphviz's 'dot' program is missing, so computation-graph pictures cannot be drawn."; \
	  echo "      Debian/Ubuntu: sudo apt-get install graphviz   macOS: brew install graphviz"; \
	  echo "      conda: conda install -c conda-forge graphviz"; }

lab: bootstrap
	$(BIN)/jupyter lab --notebook-dir=. course/01_first_steps.ipynb

lab-ja: bootstrap
	$(BIN)/jupyter lab --notebook-dir=. ja/course/01_first_steps.ipynb

# The Japanese edition ja/ from the English notebooks and i18n/ja/*.po (see README: Translations)
ja: $(STAMP)
	$(BIN)/autograder i18n build

test: bootstrap
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest

demo: bootstrap
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m autograder.course.demo

generate: bootstrap
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/autograder generate

# The course book: site/en/ and site/ja/ from the stored notebooks (never executed), offline,
# warnings as errors. Open site/en/index.html, or serve it: python3 -m http.server -d site
book: $(STAMP)
	$(BIN)/python docs/book.py

clean:
	rm -rf out autograded feedback submitted gradebook.db .pytest_cache
