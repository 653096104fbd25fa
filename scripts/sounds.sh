#!/usr/bin/env bash
# Generates the kiosk's sounds into sound/cues/, once: the files are
# committed, so builds never need espeak-ng or sox. Run it again only to
# change a sound:
#   scripts/sounds.sh
# Tones (sox synth): pass rises, warn repeats, deny falls low, refer asks.
# Spoken prompts (espeak-ng, voices cmn and en) for elderly mode, in the
# languages of ui.VoiceLanguages, one file per verdict and hint: the words
# are in the table below. Every file is mono, 8-bit, 11025 Hz WAV, so that
# all of them together stay well under 1 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh espeak-ng sox

out=sound/cues
rm -rf "$out"
mkdir -p "$out/voice/zh-CN" "$out/voice/en"
fmt=(-r 11025 -b 8 -e unsigned-integer -c 1)

tone() { # name, then sox synth arguments for each part
  local name=$1; shift
  local parts=() i=0
  for spec in "$@"; do
    sox -n -r 11025 -c 1 "/tmp/fuscan-tone-$i.wav" synth $spec fade 0.005 0 0.02 vol 0.6
    parts+=("/tmp/fuscan-tone-$i.wav"); i=$((i + 1))
  done
  sox "${parts[@]}" "${fmt[@]}" "$out/$name.wav"
  rm -f "${parts[@]}"
}
tone pass  "0.12 sine 880" "0.18 sine 1320"
tone warn  "0.15 sine 660" "0.08 sine 0 vol 0" "0.15 sine 660"
tone deny  "0.45 square 220 vol 0.5"
tone refer "0.12 sine 660" "0.12 sine 990" "0.12 sine 660"

say() { # language, voice, name, words, words a minute
  espeak-ng -v "$2" -s "$5" -w /tmp/fuscan-voice.wav "$4"
  sox /tmp/fuscan-voice.wav "${fmt[@]}" "$out/voice/$1/$3.wav" silence 1 0.02 1% reverse silence 1 0.02 1% reverse
  rm -f /tmp/fuscan-voice.wav
}
while IFS='|' read -r name zh en; do
  say zh-CN cmn "$name" "$zh" 200
  say en en "$name" "$en" 160
done <<'WORDS'
pass|请通行|Please go ahead
warn|请稍候，工作人员将为您核查|Please wait. Staff will check your code
deny|禁止通行，请联系工作人员|Entry not allowed. Please speak to staff
refer|请工作人员人工核验|Please wait for staff to check your code
hold_still|请保持不动|Please hold still
closer|请将健康码靠近一些|Please bring your code closer
less_glare|请调整角度，避免反光|Please tilt your code to avoid glare
WORDS
du -sh "$out"
