#!/bin/sh
# Installs the Debian packages boxoffice needs to build, test and run,
# skipping any already installed. Used by `make deps` (and so `make test`
# and `make run`) on a fresh machine.
set -eu

# With arguments, installs those packages instead (`make fuzz` asks for
# clang and its fuzzer runtime this way).
packages="gcc make libc6-dev libzmq3-dev libczmq-dev libsqlite3-dev libjansson-dev
libcmocka-dev libncurses-dev python3 python3-zmq tmux mandoc valgrind"
[ $# -gt 0 ] && packages="$*"

missing=""
for package in $packages; do
    if ! dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $package"
    fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        exec sudo sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$missing"
    fi
    echo "deps: run as root, or install:$missing" >&2
    exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
