# vaelab: `make demo` (set up, then write figures and a report) and `make test` (every test).
PYTHON ?= python3
VENV   := .venv
PY     := $(abspath $(VENV))/bin/python
RUFF   := $(PY) -m ruff check .
OUT    ?= out
# The R package finds the Python core through this interpreter.
export VAELAB_PYTHON := $(PY)
export RETICULATE_PYTHON := $(PY)

# Offline data for this project's machines; elsewhere the loader downloads MNIST itself.
ifneq ($(wildcard ../shared/data/mnist),)
VAELAB_DATA ?= ../shared/data/mnist
endif
# Absolute, because R CMD build knits the vignettes from another folder.
ifdef VAELAB_DATA
export VAELAB_DATA := $(abspath $(VAELAB_DATA))
endif
R_DEBS := r-base-core r-base-dev r-cran-reticulate r-cran-testthat r-cran-knitr \
          r-cran-rmarkdown r-cran-roxygen2 r-cran-lintr r-cran-png pandoc qpdf
# The documentation site and its browser check.
SITE_DEBS := r-cran-pkgdown chromium
SITE   := site
PKG_TARBALL = vaelab_$(shell sed -n 's/^Version: //p' DESCRIPTION).tar.gz

.PHONY: setup setup-r setup-site demo test test-python test-backends test-jax test-torch \
        lint-python test-r test-r-side lint-r test-install test-site check-r r-package docs site \
        notebooks benchmark report clean

setup: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

# R and rpy2 (rpy2 compiles against R, so R comes first). Installs Debian packages when root.
setup-r: $(VENV)/.installed-r
$(VENV)/.installed-r: $(VENV)/.installed
	@command -v Rscript >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(R_DEBS); } || \
	  { echo "R is missing: install Debian packages $(R_DEBS)"; exit 1; }
	$(PY) -m pip install -q -e ".[r,dev]"
	touch $@

demo: setup
	$(PY) -m vaelab demo --out $(OUT)

# Every test, two jobs at a time on two cores: the Python suite on TensorFlow, on JAX and on
# torch, and the R side in order (test-install takes the tarball that test-r builds, and the
# site is not built while bootstrap.R rewrites inst/python). The longest job is listed first,
# and starts first. Each job's output is printed when it ends. About 33 min on 2 cores,
# against 50 one after another (benchmarks/RESULTS.md).
test: setup-r
	$(MAKE) -j2 --output-sync=target test-python test-r-side test-jax test-torch

# One sub-make after another: each runs in the job slot of this target.
test-r-side: setup-r
	$(MAKE) lint-r
	$(MAKE) test-r
	$(MAKE) test-install
	$(MAKE) test-site

# ruff first, in this target's own recipe: under make -j, a prerequisite still running lets
# later jobs take the free slot ahead of this, the longest one.
test-python: setup-r
	$(RUFF)
	$(PY) -m pytest -q

# The Python suite again on Keras's other two backends (test-python runs it on TensorFlow), the
# two side by side, each one's output printed when it ends; -rs lists what a backend skips and
# why. The end-to-end runs of the notebooks, command line, README, report and benchmark scripts
# call the same functions and stay in TensorFlow's run; BACKEND_TESTS= runs all of it on each
# backend (28 min on 2 cores without the notebooks, against about 15 for this selection).
BACKEND_TESTS ?= -m "not slow" $(addprefix --ignore=tests/python/test_,cli.py readme.py \
                 report.py benchmarks.py)
test-backends: setup-r
	$(MAKE) -j2 --output-sync=target test-jax test-torch

test-jax test-torch: setup-r
	KERAS_BACKEND=$(@:test-%=%) $(PY) -m pytest -q -rs $(BACKEND_TESTS)

# ruff with pyflakes, pycodestyle and isort rules (pyproject.toml) over all the repository's Python.
lint-python: setup
	$(RUFF)

test-r: setup-r check-r

# lintr on R/ and tests/ with the rules in .lintr. The package and testthat are loaded first, so
# that lintr sees their functions. About 90 s on two cores.
lint-r: setup-r
	Rscript -e 'pkgload::load_all(quiet = TRUE); suppressMessages(library(testthat))' \
	  -e 'lints <- lintr::lint_package(); print(lints); quit(status = length(lints) > 0)'

# The R tarball, carrying the Python core as a wheel that bootstrap.R builds into inst/python.
r-package:
	rm -f $(PKG_TARBALL)
	VAELAB_BUILD_PYTHON=$(PY) Rscript bootstrap.R
	R CMD build --no-resave-data .

check-r: r-package
	rm -rf vaelab.Rcheck
	# R CMD build has knitted the vignettes (an error there fails the build) and the site knits
	# them again, so check does not run their code a third time.
	_R_CHECK_FORCE_SUGGESTS_=false R CMD check --no-manual --no-vignettes $(PKG_TARBALL)
	@! grep -q -E "^Status: .*(ERROR|WARNING)" vaelab.Rcheck/00check.log

# A newcomer's install: the tarball into an empty R library, then install_vaelab(); the wheel
# with pip. Both in fresh virtualenvs, used from outside the checkout.
test-install: setup-r
	@test -f $(PKG_TARBALL) || $(MAKE) r-package
	tests/install/newcomer $(PKG_TARBALL) $(PYTHON) $(PY)

docs:
	Rscript -e 'roxygen2::roxygenise()'

# pkgdown and Chromium from Debian, when root and missing.
setup-site:
	@Rscript -e 'quit(status = !requireNamespace("pkgdown", quietly = TRUE))' && \
	  command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SITE_DEBS); } || \
	  { echo "install Debian packages $(SITE_DEBS)"; exit 1; }

# The R site (pkgdown: home, reference, articles) with the Python API reference (pdoc) in
# $(SITE)/python and the notebooks in $(SITE)/notebooks. Offline: no CRAN lookups.
site: setup-r setup-site
	rm -rf $(SITE)
	Rscript -e 'options(pkgdown.internet = FALSE); pkgdown::build_site(".", preview = FALSE)'
	$(PY) -m pdoc --docformat google --template-directory docs/pdoc -o $(SITE)/python vaelab
	mkdir -p $(SITE)/notebooks && cp notebooks/*.ipynb $(SITE)/notebooks/
	$(PY) docs/finish_site.py $(SITE)

# The site in headless Chromium: screenshots in $(SITE)-check/, no broken link or image, no
# console error.
test-site: site
	$(PY) -m pytest -q tests/site --site $(SITE) --shots $(SITE)-check

# The notebooks, from the vignettes' text and Python chunks.
notebooks: setup-r
	$(PY) notebooks/make_notebooks.py

benchmark: setup-r
	$(PY) benchmarks/train_speed.py

report: setup
	$(PY) data-raw/make_report.py

clean:
	rm -rf $(VENV) vaelab.Rcheck vaelab_*.tar.gz inst/python $(OUT) $(SITE) $(SITE)-check
