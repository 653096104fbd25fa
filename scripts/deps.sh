#!/usr/bin/env bash
# Installs the Debian packages fuscan's builds and tests need, and those
# named as arguments, once: when everything is already there it returns at
# once, without touching apt.
#   cgo (go-fitz's bundled MuPDF):       gcc libc6-dev
#   camera MJPEG frames:                 libturbojpeg0-dev (libjpeg-turbo's TurboJPEG)
#   PDF checks in tests:                 qpdf
#   the hub tests' external broker:      mosquitto
#   the kiosk (Fyne: cgo, OpenGL, X11):  libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev
#                                        libxinerama-dev libxi-dev libxxf86vm-dev
#   the kiosk's rarer Chinese characters: fonts-noto-cjk
#   the kiosk's real-window test and
#   make run without a display:          xvfb xauth imagemagick (import takes the screenshots)
#   the kiosk's sounds (aplay):          alsa-utils
#
#   scripts/deps.sh [PACKAGE...]   e.g. scripts/deps.sh python3-zxing-cpp
set -euo pipefail

packages=(gcc libc6-dev libturbojpeg0-dev qpdf mosquitto
  libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev
  fonts-noto-cjk xvfb xauth imagemagick alsa-utils "$@")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# Another apt (a parallel build) may hold the lock for a while: wait for it.
apt=($sudo apt-get -o DPkg::Lock::Timeout=300)
"${apt[@]}" update -qq
"${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
