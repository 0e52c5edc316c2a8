#!/usr/bin/env bash
# Installs Debian's chromium if no `chromium` command exists.
# Quiet and idempotent: does nothing when the command is already available.
# Used by CI before the browser tests, which drive it with playwright-core
# (test/support/browser.ts) instead of a browser Playwright would download.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

command -v chromium >/dev/null 2>&1 || {
  echo "chromium still not found after installing Debian's chromium package" >&2
  exit 1
}
