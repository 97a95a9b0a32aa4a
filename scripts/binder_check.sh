#!/usr/bin/env bash
# Binder check: a fresh virtual environment built from exactly the files mybinder.org
# (repo2docker) uses, then every notebook chapter of _toc.yml executed in it.
#
#   scripts/binder_check.sh [WORKDIR]     (default: a new temporary folder; not part of `make test`)
#
# What repo2docker does, and what this script does in its place:
#   binder/runtime.txt     python-3.11                  -> python3.11 -m venv
#   binder/requirements.txt (from the repository root)  -> pip install -r, from the root, so that the
#                                                          `-e .` of ../requirements.txt installs pwgf_viz
#   binder/postBuild                                    -> run with the venv on PATH and a private
#                                                          JUPYTER_CONFIG_DIR (it sets JupyterLab's default
#                                                          viewer of .md files; the setting is checked)
# One substitution, said out loud: binder/requirements.txt takes the CPU build of torch from
# https://download.pytorch.org/whl/cpu. When that index does not answer (closed networks), its
# --extra-index-url line is replaced by --find-links to the same wheel, torch-2.13.0+cpu, in
# /opt/wheels (or $PWGF_WHEELS); every other line is used as it is.
# The chapters then run with nbclient in the new venv's own kernel, from book/, with the network
# guard of the build (scripts/netguard/): a chapter must not download anything.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=${1:-$(mktemp -d -t pwgf-binder-XXXXXX)}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
start=$(date +%s)

runtime=$(tr -d '[:space:]' < binder/runtime.txt)
[[ $runtime =~ ^python-([0-9]+\.[0-9]+)$ ]] || { echo "binder/runtime.txt: unexpected '$runtime'" >&2; exit 1; }
PY=python${BASH_REMATCH[1]}
echo "== runtime.txt: $runtime -> $PY ($($PY --version))"
$PY -m venv "$WORK/venv"
VPY=$WORK/venv/bin/python
$VPY -m pip install --quiet --upgrade pip

# The requirements file, with -r resolved against binder/ as pip would, and the CPU index swapped
# for the local wheel folder only if the index is unreachable.
INDEX=$(sed -n 's/^--extra-index-url[[:space:]]\+//p' binder/requirements.txt)
REQ=$WORK/binder-requirements.txt
sed "s#^-r \.\./requirements\.txt#-r $ROOT/requirements.txt#" binder/requirements.txt > "$REQ"
if [ -n "$INDEX" ] && ! $VPY - "$INDEX" <<'PY'
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=10)
except Exception as err:
    print(f"== {sys.argv[1]} unreachable ({err.__class__.__name__})")
    sys.exit(1)
PY
then
  WHEELS=${PWGF_WHEELS:-/opt/wheels}
  ls "$WHEELS"/torch-*+cpu-*.whl >/dev/null
  sed -i "s#^--extra-index-url .*#--find-links $WHEELS#" "$REQ"
  echo "== substituted: --extra-index-url $INDEX -> --find-links $WHEELS ($(cd "$WHEELS" && ls torch-*+cpu-*.whl))"
fi
echo "== pip install -r binder/requirements.txt (from the repository root)"
$VPY -m pip install --quiet -r "$REQ"
$VPY -c "import torch, pwgf_viz; print('== torch', torch.__version__, '| pwgf_viz from', pwgf_viz.__file__)"
$VPY -c "import torch, sys; sys.exit(0 if torch.__version__.endswith('+cpu') else 'torch is not the CPU build')"

echo "== binder/postBuild"
export JUPYTER_CONFIG_DIR=$WORK/jupyter-config
PATH=$WORK/venv/bin:$PATH bash binder/postBuild
grep -rq '"markdown"' "$JUPYTER_CONFIG_DIR" || { echo "postBuild did not set the Markdown viewer" >&2; exit 1; }

echo "== running every notebook chapter of _toc.yml in the new environment"
PWGF_NO_NETWORK=1 PYTHONPATH=$ROOT/scripts/netguard $VPY - "$ROOT" <<'PY'
import sys, time
from pathlib import Path

import jupytext
from nbclient import NotebookClient
from sphinx_external_toc.parsing import parse_toc_yaml

root = Path(sys.argv[1])
site_map = parse_toc_yaml(root / "_toc.yml")
names = [site_map.root.docname, *(n for n in site_map if n != site_map.root.docname)]
failed = []
for name in names:
    path = root / f"{name}.md"
    nb = jupytext.read(path) if path.is_file() else None
    if nb is None or "kernelspec" not in nb.metadata:
        continue
    start = time.perf_counter()
    try:
        NotebookClient(nb, timeout=900, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        print(f"   ok    {name} ({time.perf_counter() - start:.0f} s)", flush=True)
    except Exception as err:
        failed.append(name)
        print(f"   FAIL  {name}: {str(err)[-2000:]}", flush=True)
sys.exit(f"{len(failed)} chapter(s) failed: {failed}" if failed else 0)
PY
echo "== binder check passed in $(( $(date +%s) - start )) s (environment in $WORK)"
