#!/usr/bin/env bash
# Installs what the notice render test needs from Debian's packages: LibreOffice Writer without a GUI
# (soffice --headless --convert-to pdf), poppler (pdftoppm, pdftotext, pdffonts) and CJK fonts so Chinese text
# renders. Safe to repeat; skips when everything is present, or when it cannot install (not root, no
# apt-get): the render test then skips with its reason.
set -u
if command -v soffice >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 \
    && fc-list :lang=zh 2>/dev/null | grep -q .; then
    exit 0
fi
[ "$(id -u)" = "0" ] || exit 0
command -v apt-get >/dev/null 2>&1 || exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
apt-get install -y -qq --no-install-recommends \
    libreoffice-writer-nogui poppler-utils fonts-noto-cjk fontconfig >/dev/null 2>&1 \
    || apt-get install -y -qq --no-install-recommends \
        libreoffice-writer-nogui poppler-utils fonts-arphic-uming fonts-arphic-ukai fontconfig >/dev/null 2>&1 \
    || true
exit 0
