#!/usr/bin/env bash
# Compares fuscan's QR decoder with zxing-cpp and zbar, the best open
# decoders, on the generated test corpus: decode rates, wrong texts and
# decode times per category, all three on the same gray pixels. Not part of
# "make test": it installs Debian packages and takes a minute or two.
#
#   scripts/compare.sh [corpus flags...]   e.g. --category dense,blur --n 10
#
# Environment: CORPUS_DIR keeps the corpus there (default: a temporary
# directory, removed at the end); RESULTS=FILE writes per-image results as
# JSON Lines. fuscan's columns need "fuscanctl decode"; without it they are
# skipped with a note. SPEED=N times fuscan against zxing-cpp instead, N
# decodes a frame each, on dense720 and dense1080 unless flags say
# otherwise (scripts/speed.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# What building fuscanctl needs, and the decoders to compare with: Debian's
# packages, which install for Debian's own /usr/bin/python3.
scripts/deps.sh python3-zxing-cpp python3-zbar python3-pil python3-numpy

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PATH=/usr/local/go/bin:$PATH CGO_ENABLED=1
go build -o "$work/fuscanctl" ./cmd/fuscanctl

dir=${CORPUS_DIR:-$work/corpus}
corpus=("$@")
[ -n "${SPEED:-}" ] && [ ${#corpus[@]} -eq 0 ] && corpus=(--category dense720,dense1080)
"$work/fuscanctl" corpus --out "$dir" "${corpus[@]}"

if [ -n "${SPEED:-}" ]; then
  echo
  echo "decode times on the same frames in one run, each frame $SPEED times by each decoder in turn ($(nproc) cores);"
  echo "ok = read in every run; p50 ×, p90 × = fuscan's time over zxing-cpp's"
  echo
  /usr/bin/python3 scripts/compare_decoders.py --speed "$SPEED" --fuscanctl "$work/fuscanctl" "$dir"
  exit
fi

args=()
if "$work/fuscanctl" help decode >/dev/null 2>&1; then
  args+=(--fuscanctl "$work/fuscanctl")
fi
[ -n "${RESULTS:-}" ] && args+=(--results "$RESULTS")
echo
echo "decoders on the same gray pixels; ok = true text found, wrong = another text returned;"
echo "times exclude file loading, one decode at a time on this machine ($(nproc) cores)"
echo
/usr/bin/python3 scripts/compare_decoders.py "${args[@]}" "$dir"
