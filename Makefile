# fuscan — the two commands that matter are `make run` and `make test`.
# Every target installs what it needs (scripts/deps.sh) and is safe to rerun.

export PATH := /usr/local/go/bin:$(PATH)
export CGO_ENABLED := 1
export LANG := en_US.UTF-8
# Fyne's colour emoji font (4 MB, parsed once per text style: 12 MB of the
# kiosk's heap) has nothing the kiosk shows.
export GOFLAGS := -tags=no_emoji

GO ?= go
FUZZTIME ?= 20s

.PHONY: run screenshots test check bench fuzz deps build clean

## run: the kiosk on the demo camera: visitors hold up sample codes of every verdict; Ctrl-C stops it.
## With a display it opens full screen (admin panel: PIN 1234, then Quit); without one it runs under
## Xvfb when xvfb-run is there (unseen: it prints each decision), else the headless fuscand.
## Under Xvfb, Ctrl-C must stop the kiosk before the X server, which would die of it at once
## (X servers catch SIGINT): xvfb-run runs in its own session, and Ctrl-C becomes a SIGTERM to the
## kiosk alone; once it has closed its store, xvfb-run ends Xvfb.
## The kiosk's demo runs a fuscan-hub with its broker in the same process (--hub embedded, data under
## .run/demo/hub), so that the status bar shows sync working: online, the backlog going to zero.
KIOSK_DEMO = --profile demo --data .run/demo --log-level warn --hub embedded
run: deps
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		echo "building the kiosk (the first build takes a few minutes)..."; \
		$(GO) build -o bin/fuscan ./cmd/fuscan && \
		echo "kiosk in demo mode, full screen: Ctrl-C here, or Admin, PIN 1234, Quit" && \
		exec bin/fuscan $(KIOSK_DEMO) --pointer; \
	elif command -v xvfb-run >/dev/null; then \
		echo "no display (DISPLAY is unset): running the kiosk under Xvfb, where it cannot be seen; its decisions are printed"; \
		$(GO) build -o bin/fuscan ./cmd/fuscan && \
		mkdir -p .run && \
		setsid xvfb-run -a -s "-screen 0 1024x600x24" \
			sh -c 'echo $$$$ > .run/kiosk.pid; exec bin/fuscan $(KIOSK_DEMO) --print --mute' & \
		trap 'kill -TERM $$(cat .run/kiosk.pid)' INT TERM; wait $$!; wait $$!; \
	else \
		echo "no display and no xvfb-run: running the headless terminal (fuscand) instead"; \
		exec $(GO) run ./cmd/fuscand --profile demo --data .run/demo --print --log-level warn; \
	fi

## screenshots: the README's screenshots of the kiosk's gallery, taken under Xvfb
screenshots: deps
	scripts/screenshots.sh

## test: every test, on a fresh Debian machine included; FUSCAN_XVFB=1 makes the kiosk's
## real-window test (under Xvfb) required rather than skipped
test: deps
	$(GO) vet ./...
	FUSCAN_XVFB=1 $(GO) test -count=1 ./...

## check: gofmt, go vet and the tests with the race detector; lists direct dependencies with newer versions
check: deps
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -count=1 -race ./...
	CGO_ENABLED=0 $(GO) test ./decoder/pdf/
	@echo "direct dependencies with a newer version (informational; update with go get MODULE@latest):"
	@timeout 120 $(GO) list -m -u -f '{{if and .Update (not .Indirect)}}  {{.Path}} {{.Version}} -> {{.Update.Version}}{{end}}' all 2>/dev/null | grep . || echo "  none found (or the module proxy could not say)"

## bench: benchmark figures (verification overhead, batch rate, QR rendering, decoder, terminal, kiosk)
bench: deps
	scripts/bench.sh

## fuzz: every fuzz target for FUZZTIME each (default 20s)
fuzz: deps
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

## build: the binaries, into bin/
build: deps
	$(GO) build -o bin/ ./cmd/...

deps:
	@scripts/deps.sh

clean:
	rm -rf bin .run
