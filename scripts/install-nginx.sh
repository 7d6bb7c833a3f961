#!/usr/bin/env bash
# Installs nginx (Debian's nginx-light) for tests/ical/test_ical_feeds.py, which serves a published feed folder
# on 127.0.0.1 and checks that a phone's conditional request gets 304. Safe to repeat; skips where it cannot
# install (not root, or no apt-get): that test then skips with its reason.
set -u
command -v nginx >/dev/null 2>&1 && exit 0
[ -x /usr/sbin/nginx ] && exit 0
[ "$(id -u)" = "0" ] || exit 0
command -v apt-get >/dev/null 2>&1 || exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1
apt-get install -y -qq --no-install-recommends nginx-light >/dev/null 2>&1 \
    || apt-get install -y -qq --no-install-recommends nginx >/dev/null 2>&1 || true
# the package starts a system nginx on port 80; the test runs its own on a free port, so stop that one
command -v systemctl >/dev/null 2>&1 && systemctl stop nginx >/dev/null 2>&1
[ -f /run/nginx.pid ] && kill "$(cat /run/nginx.pid)" >/dev/null 2>&1
exit 0
