#!/bin/sh
# What the tests need beyond Python: Debian's headless Chromium and its chromedriver (the
# on-air screen's browser test) and Noto fonts for its screenshots. Installed only when
# missing; needs root (or sudo) and Debian's package registry.
set -e
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    chromium chromium-driver fonts-noto-core fonts-noto-cjk >/dev/null
