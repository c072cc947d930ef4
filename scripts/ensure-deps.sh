#!/bin/sh
# Installs what `npm run demo` / `npm test` need and lacks: node modules from the lock file, and (for the tests,
# as root) the Debian packages they drive. Not root: prints the one apt-get line instead.
set -eu
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# program:package pairs; the demo needs rsync only.
case "${1:-test}" in
  demo) wanted="rsync:rsync" ;;
  *) wanted="rsync:rsync python3:python3 sshd:openssh-server ssh-keygen:openssh-client rrsync:rsync socat:socat mkfs.ext4:e2fsprogs mandoc:mandoc xxh64sum:xxhash faketime:faketime git:git gzip:gzip smartctl:smartmontools systemd-analyze:systemd mkfs.xfs:xfsprogs chromium:chromium hwclock:util-linux-extra nginx:nginx" ;;
esac
missing=""
for pair in $wanted; do
  program=${pair%%:*}
  package=${pair#*:}
  if ! command -v "$program" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$program" ] && [ ! -x "/sbin/$program" ]; then
    case " $missing " in *" $package "*) ;; *) missing="$missing $package" ;; esac
  fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing
else
  echo "missing Debian packages; install them with:" >&2
  echo "  sudo apt-get install -y$missing" >&2
  exit 1
fi
