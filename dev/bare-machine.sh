#!/usr/bin/env bash
# Runs a command as on a machine with only Node and npm, to check that `npm test` needs nothing
# else (issue 21): `bash dev/bare-machine.sh npm test`, as root (Linux namespaces), from the project
# directory, after `npm ci` (there is no network inside). Inside: new mount and network namespaces,
# where nothing listens on 127.0.0.1 (so no PostgreSQL on 5432), /run/postgresql is empty, and
# chromium, docker(-compose), PostgreSQL's programs, curl and wget are gone from /usr/bin and
# /usr/local/bin (a hard-linked copy of /usr/bin without them is mounted over it). The environment
# is emptied but for HOME, PATH, LANG, TERM and CI (CI=true makes missing programs fail the tests).
set -euo pipefail
farm=$(mktemp -d /tmp/bare-usrbin-XXXXXX)
trap 'rm -rf "$farm"' EXIT
cp -al /usr/bin/. "$farm/" 2>/dev/null || cp -a /usr/bin/. "$farm/" # hard links need /tmp on /usr's file system
(cd "$farm" && rm -f chromium docker docker-compose docker-init docker-credential-gcloud curl wget psql createdb dropdb \
  createuser dropuser clusterdb reindexdb vacuumdb pgbench pg_*)
# BARE_KEEP="curl createdb dropdb": puts those back (a machine that has them, but no PostgreSQL server).
for keep in ${BARE_KEEP:-}; do ln -f "/usr/bin/$keep" "$farm/$keep" 2>/dev/null || cp -P "/usr/bin/$keep" "$farm/$keep"; done
export BARE_FARM="$farm"
unshare --mount --net --propagation private bash -s -- "$@" <<'INNER'
set -euo pipefail
ip link set lo up
if [ -d /run/postgresql ]; then mount -t tmpfs tmpfs /run/postgresql; fi
mount -t tmpfs tmpfs /usr/local/bin
mount --bind "$BARE_FARM" /usr/bin
exec env -i HOME="$HOME" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 TERM="${TERM:-dumb}" ${CI:+CI=$CI} "$@"
INNER
