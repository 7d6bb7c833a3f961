#!/bin/sh
# The OS-user tests (tests/reliability/test_os_users.py, test_pg_roles.py) run the program as other users, who
# cannot read a checkout or a venv under /root. This makes an interpreter with the package installed (not
# editable) that every user may run, and prints its path for ZT_TEST_OS_PYTHON. Root only; idempotent.
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "make-os-test-python: needs root" >&2; exit 1; }
DIR=/opt/zt-os-test-venv
UV=.venv/bin/uv
[ -x "$UV" ] || { echo "make-os-test-python: run make venv first" >&2; exit 1; }
[ -x "$DIR/bin/python" ] || /usr/bin/python3 -m venv "$DIR" >&2
"$UV" pip install --quiet --python "$DIR/bin/python" -c requirements.lock --reinstall-package zhijin-training '.[postgresql]' >&2
chmod -R a+rX "$DIR"
echo "$DIR/bin/python"
