#!/usr/bin/env bash
# Installs Debian's docker-compose (v1.29) if no `docker-compose` command exists.
# Quiet and idempotent: does nothing when the command is already available.
# Used by CI before test/deploy/docker-compose.test.ts, which validates
# docker-compose.yml with `docker-compose config`.
set -euo pipefail

if command -v docker-compose >/dev/null 2>&1; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null

command -v docker-compose >/dev/null 2>&1 || {
  echo "docker-compose still not found after installing Debian's docker-compose package" >&2
  exit 1
}
