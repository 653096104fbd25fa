package main

import (
	"context"
	"fmt"
	"log/slog"

	firmwareconfig "github.com/fuscan/fuscan/firmware-config"
)

// startHub starts the hub --hub names beside the kiosk and points cfg's
// broker at it; the function it returns stops it, after the kiosk.
//
// TODO(hub): "embedded" is to run a fuscan-hub with its mochi broker in
// this process (or beside it), set cfg.MQTT (broker, roots) to reach it,
// and push the demo trust, so that make run shows sync working. Until it
// exists, --hub is refused.
func startHub(_ context.Context, mode string, _ *firmwareconfig.Config, _ *slog.Logger) (stop func(), err error) {
	return nil, fmt.Errorf("%q: the embedded hub is not built yet (cmd/fuscan/hub.go)", mode)
}
