#!/usr/bin/env bash
# Debian packages the project needs: Chromium for browser tests, fonts and
# Pango for WeasyPrint PDFs (CJK included). Installs only what is missing.
# `bash scripts/system_deps.sh bench` installs the benchmark tools instead (wrk),
# which `make test` never needs.
set -euo pipefail
packages=(chromium fonts-dejavu-core fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 gettext)
if [ "${1:-}" = "bench" ]; then
  packages=(wrk)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != "0" ]; then
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
