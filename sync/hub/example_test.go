package hub_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/fuscan/fuscan/sync/broker"
	"github.com/fuscan/fuscan/sync/hub"
	"github.com/fuscan/fuscan/sync/hub/boltstore"
	"github.com/fuscan/fuscan/sync/hub/hubtest"
	"github.com/fuscan/fuscan/sync/wire"
	"github.com/fuscan/fuscan/terminal/cose"
)

// A hub with its embedded broker and a bbolt store, as fuscan-hub
// composes them, and one device sending a batch of three records.
func Example() {
	dir, err := os.MkdirTemp("", "hub-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	accounts := filepath.Join(dir, "devices.json")
	password, err := broker.AddDevice(accounts, "gate-07", "north") // shown once
	if err != nil {
		log.Fatal(err)
	}
	b, err := broker.New(broker.Options{Addr: "127.0.0.1:0", Tenant: "fz", Accounts: accounts, HubPassword: "made-at-start", Logger: quiet})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	store, err := boltstore.Open(filepath.Join(dir, "hub.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	h, err := hub.New(hub.Options{Store: store, Tenant: "fz", Broker: b.HubURL(), Username: broker.HubUser,
		Password: "made-at-start", FreshBroker: true, Logger: quiet})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	stopped := make(chan error)
	go func() { stopped <- h.Run(ctx) }()
	<-h.Ready()

	// The device: its status online brings the hub's greeting, its batch
	// the ack once the records are committed.
	d, err := hubtest.Dial(hubtest.DeviceOptions{Broker: "tcp://" + b.Addr(), Tenant: "fz", ID: "gate-07", Password: password})
	if err != nil {
		log.Fatal(err)
	}
	greeting, _ := d.NextAck(5 * time.Second)
	var raw []cbor.RawMessage
	for _, r := range hubtest.NewLog("gate-07", "hall").Next(3) {
		b, _ := cose.EncMode.Marshal(r)
		raw = append(raw, b)
	}
	batch, _ := (&wire.Batch{Device: "gate-07", Records: raw}).Encode()
	d.Publish(wire.LeafScans, batch)
	// QoS 1 is at least once: a greeting may come again before the
	// batch's ack.
	ack, err := d.NextAck(5 * time.Second)
	for err == nil && ack.Last == 0 {
		ack, err = d.NextAck(5 * time.Second)
	}
	fmt.Printf("greeting: held %d\nack: %d..%d, held %d\n", greeting.Held, ack.First, ack.Last, ack.Held)
	d.Stop()
	stop()
	<-stopped
	// Output:
	// greeting: held 0
	// ack: 1..3, held 3
}
