#!/usr/bin/env bash
# The sqlite3 shell, for the tests that change the database behind the program's back (tests/reliability/test_os_users.py).
set -euo pipefail
if command -v sqlite3 >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "sqlite3 is missing and cannot be installed here (needs root and apt-get)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq sqlite3 >/dev/null
