#!/usr/bin/env bash
# libfaketime (Debian package faketime): the end-to-end tests start the bot with its clock
# pinned to the tests' moment, and CI runs the whole suite at shifted dates.
set -euo pipefail
if compgen -G "/usr/lib/*/faketime/libfaketime.so.1" >/dev/null || [ -e /usr/lib/faketime/libfaketime.so.1 ]; then
    exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
    sudo="sudo"
fi
if ! command -v apt-get >/dev/null; then
    echo "the tests need libfaketime: install your system's faketime package" >&2
    exit 1
fi
echo "installing faketime (libfaketime) for the tests..." >&2
$sudo apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq faketime >/dev/null
