#!/usr/bin/env bash
# Installs the calendar clients tests/ical exercises that do not come from PyPI (calcurse, a Debian package).
# khal, Radicale and caldav come with `.[dev]`. Safe to repeat; skips silently where it cannot install
# (not root, or no apt-get): the calcurse test then skips with its reason.
set -u
command -v calcurse >/dev/null 2>&1 && exit 0
[ "$(id -u)" = "0" ] || exit 0
command -v apt-get >/dev/null 2>&1 || exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq calcurse >/dev/null 2>&1 || true
exit 0
