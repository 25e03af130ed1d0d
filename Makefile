# gr-jscc: one-command setup, demo and tests. Every target installs what is missing, once.
SHELL := /bin/bash
ROOT := $(abspath .)
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
SYS_PY := /usr/bin/python3
STAMPS := $(ROOT)/.stamps
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
JOBS ?= $(shell nproc)
APT_PKGS := gnuradio gnuradio-dev cmake g++ make pkg-config pybind11-dev python3-dev python3-venv \
            libboost-test-dev git python3-zmq \
            gir1.2-gtk-3.0 python3-gi-cairo python3-pyqt5 xvfb xauth
# the last line: GNU Radio Companion (Debian's gnuradio package does not pull Gtk's introspection
# data: "Namespace Gtk not available") and the Qt GUI examples; xvfb runs them in the tests
DEMO_OUT ?= out/demo
# GPU=1 (default: when nvidia-smi is present) adds onnxruntime-gpu and its CUDA runtime wheels
GPU ?= $(shell command -v nvidia-smi >/dev/null 2>&1 && echo 1)
export PYTHONUNBUFFERED := 1

.PHONY: all setup demo zmq-demo test test-python test-cpp test-fuzz fuzz grc benchmark reproduce clean help
all: setup

help:
	@echo "make demo       loopback image transmission with a shipped model (out/demo)"
	@echo "make test       build, then run the C++ (ctest) and Python (pytest) tests"
	@echo "make benchmark  speed figures (docs/results/benchmark.json)"
	@echo "make reproduce  the Deep JSCC paper's Kodak figures (docs/results/paper; hours; QUICK=1 for minutes)"
	@echo "make zmq-demo   the over-the-air simulation: rx_image, channel_sim, tx_image as three processes"
	@echo "make setup      apt packages, .venv, Python requirements, build and install the module"
	@echo "                (GPU=1, or nvidia-smi present: onnxruntime-gpu with its CUDA wheels)"
	@echo "make grc        GNU Radio Companion with the module's blocks (GRC=file.grc to open one)"
	@echo "make fuzz       the fuzzing harnesses of tests/fuzz for FUZZ_SECONDS each (default 600)"

# --- system packages (sudo when not root); skipped when all are present
# the stamp names the package list: a package added here is installed on the next run
APT_STAMP := $(STAMPS)/apt-$(shell echo $(APT_PKGS) | md5sum | cut -c1-8)
$(APT_STAMP):
	@mkdir -p $(STAMPS)
	@missing=$$(for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@touch $@

# --- venv over the system Python so GNU Radio's bindings import; numpy held at the system's version
$(VENV)/bin/python: | $(APT_STAMP)
	$(SYS_PY) -m venv --system-site-packages $(VENV)
	@touch $@

$(STAMPS)/constraints.txt: $(VENV)/bin/python
	@mkdir -p $(STAMPS)
	@$(SYS_PY) -c 'import numpy; print("numpy==" + numpy.__version__)' > $@

$(STAMPS)/requirements: requirements.txt $(STAMPS)/constraints.txt
	$(PY) -m pip install -q -r requirements.txt -c $(STAMPS)/constraints.txt
	@touch $@

# onnxruntime-gpu replaces the CPU onnxruntime (both are the module onnxruntime)
$(STAMPS)/requirements-gpu: requirements-gpu.txt $(STAMPS)/requirements
	$(PY) -m pip uninstall -q -y onnxruntime
	$(PY) -m pip install -q -r requirements-gpu.txt -c $(STAMPS)/constraints.txt
	@touch $@

$(STAMPS)/requirements-train: requirements-train.txt $(STAMPS)/requirements
	$(PY) -m pip install -q -r requirements-train.txt -c $(STAMPS)/constraints.txt
	@touch $@

# --- configure, build, install into the venv (cmake and make skip what is up to date)
build/CMakeCache.txt: $(STAMPS)/requirements $(if $(GPU),$(STAMPS)/requirements-gpu)
	cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$(VENV) -DPYTHON_EXECUTABLE=$(PY)

setup: $(APT_STAMP) build/CMakeCache.txt
	@set -o pipefail; cmake --build build -j $(JOBS) 2>&1 | { grep -v -E '^\[ *[0-9]+%\]' || true; }
	@# the package is reinstalled whole, so a module moved or removed in the tree leaves no stale copy behind
	@rm -rf $(VENV)/lib/python3*/site-packages/gnuradio/jscc
	@set -o pipefail; cmake --install build 2>&1 | { grep -v -E '^-- (Up-to-date|Installing)' || true; }
	@# GRC from the venv: the module's blocks on its path, the venv's Python for the flowgraphs
	@printf '#!/bin/sh\nexport GRC_BLOCKS_PATH="%s$${GRC_BLOCKS_PATH:+:$$GRC_BLOCKS_PATH}"\nexec "%s" /usr/bin/gnuradio-companion "$$@"\n' \
	    "$(VENV)/share/gnuradio/grc/blocks" "$(PY)" > $(VENV)/bin/gnuradio-companion
	@chmod +x $(VENV)/bin/gnuradio-companion
	@$(PY) -c "from gnuradio import jscc" && echo "gr-jscc installed in $(VENV)"

demo: setup
	$(PY) apps/loopback.py --image examples/images/kodim23.png --model deepjscc-kn6-awgn-10db \
	    --channel awgn --snr 1 7 19 --out $(DEMO_OUT)
	@echo "received images and comparison: $(DEMO_OUT)/ (compare_kodim23.png: original | 1 | 7 | 19 dB)"
	$(PY) apps/loopback.py --phy ofdm --image examples/images/kodim23.png --model deepjscc-kn6-awgn-10db \
	    --channel awgn --snr 10 --cfo 0.3 --timing 0.4 --delay 100 --out $(DEMO_OUT)/ofdm
	@echo "the same image through the OFDM PHY (CFO 0.3 subcarriers, timing offset): $(DEMO_OUT)/ofdm/"

# three processes on one machine, started in the order a real link would tolerate worst
zmq-demo: setup
	@set -e; rm -rf $(DEMO_OUT)/zmq; \
	$(PY) apps/rx_image.py --zmq tcp://127.0.0.1:5556 --out $(DEMO_OUT)/zmq --reference examples/images \
	    --expect 2 --timeout 120 & RX=$$!; sleep 1; \
	$(PY) apps/channel_sim.py --in tcp://127.0.0.1:5555 --out tcp://127.0.0.1:5556 --channel awgn --snr 15 \
	    --cfo 0.2 & CH=$$!; sleep 1; \
	$(PY) apps/tx_image.py --zmq tcp://127.0.0.1:5555 --images examples/images; \
	wait $$RX; RC=$$?; kill $$CH; exit $$RC

test: setup $(STAMPS)/requirements-train test-cpp test-python test-fuzz

test-cpp: setup
	cd build && ctest --output-on-failure

test-python: setup
	$(PY) -m pytest -q tests

# bounded fuzzing (about 55 s of wall time in all): the C++ header under ASan/UBSan, the message handlers, the IQ chain
FUZZ_SECONDS ?= 600
test-fuzz: setup
	$(PY) tests/fuzz/run.py --seconds 48

fuzz: setup
	$(PY) tests/fuzz/run.py --seconds $$(( $(FUZZ_SECONDS) * 3 ))

GRC ?=
grc: setup
	$(VENV)/bin/gnuradio-companion $(GRC)

benchmark: setup $(STAMPS)/requirements-train
	$(PY) apps/benchmark.py --json docs/results/benchmark.json

REPRO_OUT ?= docs/results/paper
reproduce: setup
	$(PY) apps/reproduce_paper.py --out $(REPRO_OUT) --workers $(JOBS) $(if $(QUICK),--quick)

clean:
	rm -rf build $(STAMPS) out
