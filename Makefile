# fuscan — the two commands that matter are `make run` and `make test`.
# Every target installs what it needs (scripts/deps.sh) and is safe to rerun.

export PATH := /usr/local/go/bin:$(PATH)
export CGO_ENABLED := 1
export LANG := en_US.UTF-8

GO ?= go
FUZZTIME ?= 20s

.PHONY: run test check bench fuzz deps build clean

## run: the terminal (fuscand) on the demo camera: visitors hold up sample codes of every verdict; Ctrl-C stops it
run: deps
	$(GO) run ./cmd/fuscand --profile demo --data .run/demo --print --log-level warn

## test: every test, on a fresh Debian machine included
test: deps
	$(GO) vet ./...
	$(GO) test -count=1 ./...

## check: gofmt, go vet and the tests with the race detector; lists direct dependencies with newer versions
check: deps
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -count=1 -race ./...
	CGO_ENABLED=0 $(GO) test ./decoder/pdf/
	@echo "direct dependencies with a newer version (informational; update with go get MODULE@latest):"
	@timeout 120 $(GO) list -m -u -f '{{if and .Update (not .Indirect)}}  {{.Path}} {{.Version}} -> {{.Update.Version}}{{end}}' all 2>/dev/null | grep . || echo "  none found (or the module proxy could not say)"

## bench: benchmark figures (verification overhead, batch rate, QR rendering)
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
