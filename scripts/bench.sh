#!/usr/bin/env bash
# Prints fuscan's benchmark figures: per-format verification time against
# the bare signature check of the same credential (the overhead must stay
# under 10% for an SM2 福码卡), the all-core batch rate (target 8000 SM2
# cards a second), the QR/PDF renderers, the decoder, the terminal's
# durable decisions, and the kiosk: logged decision to pixels (target p99
# 50 ms), its memory against a bare Fyne window, its CPU with the demo
# camera running.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT

go test -run '^$' -bench '^Benchmark(Verify|Signature|Parse)$' -benchmem -count "${COUNT:-3}" ./terminal/ | tee "$out" | grep -E '^Benchmark' || true
echo
echo "verification overhead over the bare signature check (median of runs):"
awk '
  /^Benchmark(Verify|Signature)\// {
    split($1, a, "/"); kind = a[1]; sub(/^Benchmark/, "", kind)
    name = $1; sub(/^Benchmark[A-Za-z]*\//, "", name); sub(/-[0-9]+$/, "", name)
    v[kind, name, ++n[kind, name]] = $3; names[name] = 1
  }
  function median(kind, name,   i, j, t, c) {
    c = n[kind, name]
    for (i = 1; i <= c; i++) s[i] = v[kind, name, i]
    for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (s[j] < s[i]) { t = s[i]; s[i] = s[j]; s[j] = t }
    return s[int((c + 1) / 2)]
  }
  END {
    printf "  %-16s %12s %12s %9s\n", "format/alg", "verify ns", "sig ns", "overhead"
    for (name in names) {
      if (!n["Verify", name] || !n["Signature", name]) continue
      ver = median("Verify", name); sig = median("Signature", name)
      printf "  %-16s %12d %12d %8.1f%%\n", name, ver, sig, (ver / sig - 1) * 100
    }
  }' "$out" | sort
echo
go test -run '^$' -bench '^BenchmarkVerifyBatch$' -benchtime 5x ./terminal/ | grep -E '^Benchmark'
echo
go test -run '^$' -bench . -benchmem ./qrcard/ ./terminal/base45/ ./terminal/cose/ 2>/dev/null | grep -E '^Benchmark'

echo
echo "decoder: ms per frame (p50/p95 in the metrics), per corpus category, and an 8-card A4 PDF page:"
go test -run '^$' -bench '^Benchmark(Frame|Category|Ladder|DecodePDFSheet)$' -benchtime "${DECODER_BENCHTIME:-20x}" ./decoder/ | grep -E '^Benchmark'
go test -run '^$' -bench '^BenchmarkHostile$' -benchtime 1x ./decoder/ | grep -E '^Benchmark' # issue 9: ms and peak resident MB per poster, stripes and 16-bit PNG, as camera frame, file and PDF
echo
echo "camera: a 1280×720 frame to the image the decoder reads, MJPEG (libjpeg-turbo, image/jpeg) and YUYV (ms/frame, allocations once the ring is full);"
echo "decoder against zxing-cpp on the same dense 720p and 1080p frames: scripts/speed.sh"
go test -run '^$' -bench '^Benchmark(JPEG|YUYV)$' -benchmem ./terminal/source/ | grep -E '^Benchmark'
echo
echo "decoder: read rates per synthetic category (TestCorpus):"
go test -count=1 -run '^TestCorpus$' -v ./decoder/ | grep -E '^\s+corpus_test.go:[0-9]+: read|^--- ' || true

echo
echo "terminal: durable decisions a second (fsync'd, group commit across lanes) and frame-to-logged-verdict latency at 720p (real decoder, verifier and store):"
go test -run '^$' -bench '^BenchmarkDurable(Decisions|ScannerList)$' -benchtime 2s ./cmd/internal/engine/ | grep -E '^Benchmark'
go test -run '^$' -bench '^BenchmarkFrameToVerdict$' -benchtime 300x ./cmd/internal/engine/ | grep -E '^Benchmark'

echo
echo "hub: 150,000 records drained by 20 devices at once into fuscan-hub (a process of its own), 2000-record batches, each acked after the fsync'd commit; embedded broker and Mosquitto; the hub's RSS after the run and at its peak:"
go test -run '^$' -bench '^BenchmarkHub$' -benchtime 1x ./cmd/fuscan-hub/ | grep -E '^Benchmark'

echo
echo "sync: a 150,000-record backlog drained from fuscand to fuscan-hub through Mosquitto (hub fsync before each ack; target 5 s), raw paho QoS 1 publishes to the same broker, and frame-to-logged-verdict p50/p99 at the camera during the drain (target p99 50 ms):"
go test -run '^$' -bench '^BenchmarkDrain(Latency)?$' -benchtime 1x ./e2e/ | grep -E '^Benchmark'

echo
echo "kiosk: Show to a rendered frame with Fyne's software painter at 1024x600 (the screen's own share of the latency):"
go test -run '^$' -bench '^BenchmarkShowToPixels$' -benchtime 100x ./ui/ | grep -E '^Benchmark'
echo "kiosk: the real window under Xvfb in demo mode for ${KIOSK_SECONDS:=120} s (KIOSK_SECONDS=3600 for the hour): logged decision to pixels, RSS against a bare Fyne window, CPU:"
FUSCAN_BENCH_SECONDS=$KIOSK_SECONDS go test -count=1 -v -run '^TestKioskBench$' -timeout 2h ./cmd/fuscan/ | grep -E '^bench:'
