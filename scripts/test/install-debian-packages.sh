#!/usr/bin/env bash
# `npm run setup:test` and .ci/run: the Debian packages the test suites need beyond npm (root only).
# Without them `npm test` skips those suites, saying which and why; with them nothing is skipped.
set -euo pipefail

# chromium: the HTML report and the VS Code end-to-end tests; ripgrep: code-server's search (e2e);
# Jupyter packages: the kernel, notebook and conformance suites; python3-torch: the PyTorch peer.
packages=(chromium ripgrep python3-jupyter-client python3-nbclient python3-nbformat python3-jupyter-kernel-test python3-torch)

need=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -eq 0 ]; then
  echo "setup:test: every Debian package the tests need is installed"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup:test: needs root to install ${need[*]}; run: sudo npm run setup:test" >&2
  exit 1
fi
echo "setup:test: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
