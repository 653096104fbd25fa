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
# skipped with a note.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's packages, installed once: when they are all there this touches
# nothing. They install for Debian's own /usr/bin/python3.
packages=(python3-zxing-cpp python3-zbar python3-pil python3-numpy)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "compare: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
scripts/deps.sh # what building fuscanctl needs (cgo for go-fitz)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PATH=/usr/local/go/bin:$PATH CGO_ENABLED=1
go build -o "$work/fuscanctl" ./cmd/fuscanctl

dir=${CORPUS_DIR:-$work/corpus}
"$work/fuscanctl" corpus --out "$dir" "$@"

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
