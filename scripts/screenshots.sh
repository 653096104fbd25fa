#!/usr/bin/env bash
# Takes the README's screenshots of the kiosk: its gallery (canned data,
# frozen clock) full screen on an Xvfb X server at 1024x600, one state at
# a time, in Chinese and English, normal and elderly mode, into
# docs/screenshots/ as 8-bit PNGs.
#   scripts/screenshots.sh            # or: make screenshots
set -euo pipefail
cd "$(dirname "$0")/.."
export LANG=en_US.UTF-8
go build -o bin/fuscan ./cmd/fuscan
out=docs/screenshots
mkdir -p "$out"

# language, elderly (yes/no), gallery state
shots=(
  "zh-CN no scan"
  "zh-CN no pass-live"
  "en no deny-expired"
  "zh-CN yes warn-yellow-card"
  "en yes scan-closer"
  "en no admin-panel"
)
printf '%s\n' "${shots[@]}" > bin/shots.txt
xvfb-run -a -s "-screen 0 1024x600x24 -nolisten tcp" bash -c '
  while read -r lang elderly state; do
    flags=(--gallery --gallery-state "$state" --lang "$lang")
    name="$lang-$state"
    if [ "$elderly" = yes ]; then flags+=(--elderly); name="$lang-elderly-$state"; fi
    bin/fuscan "${flags[@]}" 2>/dev/null & pid=$!
    sleep 3
    import -window root "bin/$name.png"
    kill "$pid"; wait "$pid" || true
    convert "bin/$name.png" -strip -colors 96 "PNG8:'"$out"'/$name.png"
    echo "'"$out"'/$name.png"
  done < bin/shots.txt
'
du -ch "$out"/*.png | tail -1
