# Airflow Lab Kit. Every target installs what it needs first, then calls the labkit CLI.
#
#   make lab                     install (first time), start services, open JupyterLab
#   make test lab1               grade your labs/lab1_* (PART=load: one part of it)
#   make submit [lab1]           zip your lab(s) to hand in: submit/lab1-<you>.zip (STUDENT=you@school)
#   make doctor                  check this machine; says how to fix what is wrong
#   NO_BROWSER=1 make lab        headless JupyterLab (prints the URL with its token)
# instructor:begin
#   make test                    the whole suite (what CI runs)
#   make test lab1 TARGET=reference   grade dags/ (the reference) instead of labs/
#   make verify [lab1]           reference 100 %, starter 0 %, every known-wrong variant loses points
#   make mutate [lab1]           mutants of the reference: killed, survived, equivalent (a report)
#   make grade lab1 SUBMISSIONS=dir   grade a class (gradebook CSV, feedback, summary)
#   make monitor                 lab 4's health monitor, once, against a local Airflow
#   make demo [RESET=1]          class demo: every reference DAG in a local Airflow UI
#   make demo-run                every reference DAG once (REST API), a table, then stop
#   make release | bench | clean
# instructor:end

SHELL := /bin/bash
.DEFAULT_GOAL := help

# The first Python 3.11 or 3.12 on PATH (pgserver has no wheels for 3.13 yet).
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do \
  $$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 13))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV    := .venv
STAMP   := $(VENV)/.labkit-installed
LABKIT  := $(VENV)/bin/labkit
TARGET  ?= student

# `make test lab1 lab2`: the words after the goal are labs, not targets of their own.
ifneq ($(filter test verify grade submit mutate,$(firstword $(MAKECMDGOALS))),)
  LABS := $(wordlist 2,$(words $(MAKECMDGOALS)),$(MAKECMDGOALS))
  $(eval $(LABS):;@:)
endif

.PHONY: help install lab test submit doctor release verify mutate grade bench monitor demo demo-run clean lock

help:
	@sed -n '2,/^$$/p' Makefile | grep -v 'instructor:' | sed 's/^# \{0,1\}//'

$(STAMP): pyproject.toml uv.lock requirements.lock
	@bash scripts/install.sh "$(PYTHON)"
	@touch $@

install: $(STAMP)

lab: $(STAMP)
	@$(LABKIT) lab $(if $(NO_BROWSER),--no-browser)

# A score is an answer, not a crash: `make test lab1` exits 0 once the score is shown, so
# make prints no "*** Error 1" under it. STRICT=1 keeps labkit's status (1: not full marks).
test: $(STAMP)
	@status=0; $(LABKIT) test $(LABS) --target $(TARGET) $(if $(PART),--part "$(PART)") || status=$$?; \
	if [ $$status -eq 1 ] && [ -n "$(LABS)" ] && [ -z "$(STRICT)" ]; then status=0; fi; exit $$status

submit: $(STAMP)
	@$(LABKIT) submit $(LABS) $(if $(STUDENT),--student "$(STUDENT)")

verify: $(STAMP)
	@$(LABKIT) verify $(LABS)

mutate: $(STAMP)
	@$(LABKIT) mutate $(LABS)

grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade lab1 SUBMISSIONS=path/to/submissions [OUT=dir]"; exit 2; }
	@$(LABKIT) grade $(LABS) --submissions "$(SUBMISSIONS)" $(if $(OUT),--out "$(OUT)")

doctor:
	@if [ -x $(LABKIT) ]; then $(LABKIT) doctor; else bash scripts/install.sh --check "$(PYTHON)"; fi

release: $(STAMP)
	@$(LABKIT) release

bench: $(STAMP)
	@$(LABKIT) bench

monitor: $(STAMP)
	@$(LABKIT) monitor --target $(TARGET)

demo: $(STAMP)
	@$(LABKIT) demo $(if $(RESET),--reset) $(if $(PORT),--port $(PORT))

demo-run: $(STAMP)
	@$(LABKIT) demo-run

# Maintainers: after changing dependencies in pyproject.toml.
lock:
	@.labkit/uv/bin/uv lock && .labkit/uv/bin/uv export --frozen --no-emit-project --format requirements-txt -o requirements.lock >/dev/null

clean:
	rm -rf .labkit/results .labkit/verify .labkit/airflow .labkit/run
