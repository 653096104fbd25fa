package broker_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/fuscan/fuscan/sync/broker"
)

// A device's login: the password is returned once, only its hash is
// kept, and a running broker takes the account at once.
func ExampleAddDevice() {
	dir, err := os.MkdirTemp("", "broker-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "devices.json")

	password, err := broker.AddDevice(path, "gate-07", "north")
	if err != nil {
		log.Fatal(err)
	}
	accts, err := broker.Devices(path)
	if err != nil {
		log.Fatal(err)
	}
	a := accts[0]
	fmt.Println(a.Device, a.Group, a.Check(password), a.Check("guess"))
	// Output: gate-07 north true false
}
