#!/usr/bin/env bash
# Times fuscan's QR decoder against zxing-cpp on the frames a kiosk's camera
# sees first (issue 13), and the camera path in front of the decoder.
#
# 1. The scene corpus's dense720 and dense1080 categories (QR versions 10
#    to 25 at 2.5 to 4.5 px a module, turned up to 10°, no hint): every
#    frame decoded REPEAT times by zxing-cpp (Debian's python3-zxing-cpp,
#    read_barcodes), by "fuscanctl decode --json" (every code, as a user
#    would) and by "fuscanctl decode --json --camera" (the first code within
#    50 ms, as the terminal decodes a frame), taking turns frame by frame,
#    decode times only (file loading excluded for all): scripts/compare.sh
#    with SPEED set. Targets, per category: fuscan's median at most
#    zxing-cpp's, its 90th percentile at most twice zxing-cpp's, as many
#    frames read, no wrong text.
# 2. A 1280×720 camera frame to the image the decoder reads: MJPEG through
#    libjpeg-turbo and image/jpeg, YUYV unpacked (target: 5 ms for MJPEG,
#    no allocation for YUYV).
#
#   scripts/speed.sh [corpus flags...]   e.g. --category dense720 --n 20
#
# Environment: REPEAT (default 5) decodes per frame and decoder, COUNT
# (default 3) runs of each Go benchmark; CORPUS_DIR keeps the corpus. The
# machine's other load falls on all decoders alike; the figures are
# medians.
set -euo pipefail
cd "$(dirname "$0")/.."

SPEED=${REPEAT:-5} scripts/compare.sh "$@"

echo
echo "a 1280×720 camera frame to the image the decoder reads (ms/frame; B/op and allocs/op once the ring is full):"
export PATH=/usr/local/go/bin:$PATH CGO_ENABLED=1
go test -run '^$' -bench '^Benchmark(JPEG|YUYV)$' -benchmem -count "${COUNT:-3}" ./terminal/source/ | grep -E '^Benchmark'
