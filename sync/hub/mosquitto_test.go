package hub_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/fuscan/fuscan/sync/hub"
	"github.com/fuscan/fuscan/sync/hub/boltstore"
	"github.com/fuscan/fuscan/sync/hub/hubtest"
	"github.com/fuscan/fuscan/sync/wire"
)

// TestMosquitto runs the ingest path against Mosquitto as a separate
// process: idempotency, the greeting, the last will.
func TestMosquitto(t *testing.T) {
	url := hubtest.Mosquitto(t)
	e := onMosquitto(t, url, settings{})
	d, _, _ := sendTwice(t, e, 500)
	d.Kill()
	eventually(t, "d1 offline after its will", func() bool { return !e.devices(t)["d1"].Online })
}

// TestShared: two hubs share the devices' messages through
// $share/fuscan-hub/ on Mosquitto and one store; every batch is taken by
// one hub, every record stored once.
func TestShared(t *testing.T) {
	url := hubtest.Mosquitto(t)
	store, err := boltstore.Open(filepath.Join(t.TempDir(), "hub.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() }) // after the hubs stop
	a := onMosquitto(t, url, settings{store: store, shared: true})
	b := onMosquitto(t, url, settings{store: store, shared: true})
	const devices, batches, size = 4, 10, 100
	var wg sync.WaitGroup
	for i := range devices {
		id := "d" + string(rune('1'+i))
		d := a.connect(t, id, "")
		log := hubtest.NewLog(id, "v")
		var data [][]byte
		var lasts []uint64
		for range batches {
			data = append(data, hubtest.Batch(t, id, log.Next(size)))
			lasts = append(lasts, log.Seq())
		}
		wg.Go(func() {
			if err := d.Send(data, lasts, 2, 10*time.Second); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	sa, sb := a.hub.Stats(), b.hub.Stats()
	if sa.Batches+sb.Batches != devices*batches || sa.Batches == 0 || sb.Batches == 0 {
		t.Errorf("hubs took %d and %d batches, want %d between them, some each", sa.Batches, sb.Batches, devices*batches)
	}
	if sa.Duplicates+sb.Duplicates != 0 || sa.Records+sb.Records != devices*batches*size {
		t.Errorf("stored %d+%d records, %d+%d duplicates; want %d, none", sa.Records, sb.Records, sa.Duplicates, sb.Duplicates, devices*batches*size)
	}
	for id, d := range a.devices(t) {
		if d.Records != batches*size || !d.ChainOK || len(d.Gaps) != 0 {
			t.Errorf("%s: %+v", id, d)
		}
	}
}

// TestMosquittoACL runs the hub and devices on Mosquitto configured as
// the broker package documents: password file, ACL file, the hub sharing
// its subscriptions.
func TestMosquittoACL(t *testing.T) {
	passwd, err := exec.LookPath("mosquitto_passwd")
	if err != nil {
		t.Skipf("mosquitto_passwd is not installed: %v", err)
	}
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "fuscan.passwd")
	users := [][2]string{{"fuscan-hub", "hub-pw"}, {"d1", "d1-pw"}, {"d2", "d2-pw"}}
	for i, u := range users {
		args := []string{"-b", pwFile, u[0], u[1]}
		if i == 0 {
			args = append([]string{"-c"}, args...)
		}
		if out, err := exec.Command(passwd, args...).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_passwd: %v\n%s", err, out)
		}
	}
	acl := strings.ReplaceAll(`pattern write fuscan/v1/T/dev/%u/scans
pattern write fuscan/v1/T/dev/%u/status
pattern write fuscan/v1/T/dev/%u/reports
pattern read  fuscan/v1/T/dev/%u/ack
pattern read  fuscan/v1/T/dev/%u/updates/+
pattern read  fuscan/v1/T/updates/+
user d1
topic read fuscan/v1/T/group/north/updates/+
user fuscan-hub
topic read  fuscan/v1/T/dev/+/scans
topic read  fuscan/v1/T/dev/+/status
topic read  fuscan/v1/T/dev/+/reports
topic write fuscan/v1/T/dev/+/ack
topic write fuscan/v1/T/dev/+/updates/+
topic write fuscan/v1/T/group/+/updates/+
topic write fuscan/v1/T/updates/+
`, "/T/", "/"+tenant+"/")
	aclFile := filepath.Join(dir, "fuscan.acl")
	if err := os.WriteFile(aclFile, []byte(acl), 0o600); err != nil {
		t.Fatal(err)
	}
	url := hubtest.Mosquitto(t, "allow_anonymous false", "password_file "+pwFile, "acl_file "+aclFile)
	e := startHub(t, t.TempDir(), &hubtest.Buffer{}, settings{}, hub.Options{Broker: url, Username: "fuscan-hub", Password: "hub-pw", Shared: true})
	e.broker = url
	dial := func(id, pw string) (*hubtest.Device, error) {
		return hubtest.Dial(hubtest.DeviceOptions{Broker: url, Tenant: tenant, ID: id, Password: pw})
	}
	d1, err := dial("d1", "d1-pw")
	if err != nil {
		t.Fatal(err)
	}
	defer d1.Stop()
	if a := ack(t, d1); a.Last != 0 {
		t.Errorf("greeting %+v", a)
	}
	if a := send(t, d1, hubtest.NewLog("d1", "v").Next(20)); a.Error != "" || a.Held != 20 {
		t.Errorf("ack %+v, want 20 held", a)
	}
	if _, err := dial("d2", "wrong"); err == nil {
		t.Error("a wrong password: connected")
	}
	// Mosquitto grants every subscription; its ACL decides what it
	// delivers.
	var others []<-chan paho.Message
	for _, f := range []string{"fuscan/v1/t1/dev/d2/ack", "fuscan/v1/t1/dev/+/scans", "fuscan/v1/t1/dev/+/status", "fuscan/v1/t1/group/south/updates/+"} {
		_, msgs, err := d1.Subscribe(f)
		if err != nil {
			t.Fatal(err)
		}
		others = append(others, msgs)
	}
	// d2 comes online with its last will on d1's status, and goes.
	d2, err := hubtest.Dial(hubtest.DeviceOptions{Broker: url, Tenant: tenant, ID: "d2", Password: "d2-pw",
		WillTopic: wire.DeviceTopic(tenant, "d1", wire.LeafStatus)})
	if err != nil {
		t.Fatal(err)
	}
	if a := ack(t, d2); a.Last != 0 {
		t.Errorf("d2's greeting %+v", a)
	}
	send(t, d2, hubtest.NewLog("d2", "v").Next(5))
	d2.Kill()
	time.Sleep(300 * time.Millisecond)
	for i, msgs := range others {
		select {
		case m := <-msgs:
			t.Errorf("subscription %d: d1 received %s", i, m.Topic())
		default:
		}
	}
	if !e.devices(t)["d1"].Online {
		t.Error("d2's will on d1's status was published: d1 shows offline")
	}
	// Mosquitto drops a publish its ACL refuses without a word: the hub
	// never sees it.
	d1.PublishTo(wire.DeviceTopic(tenant, "d2", wire.LeafScans), hubtest.Batch(t, "d2", hubtest.NewLog("d2", "forged").Next(8)))
	if err := d1.PublishRetained(wire.LeafStatus, wire.Encode(wire.Status{Online: true, Backlog: 3})); err != nil {
		t.Fatal(err)
	}
	eventually(t, "d1's second status", func() bool { return e.devices(t)["d1"].Backlog == 3 })
	if d2 := e.devices(t)["d2"]; d2.Records != 5 || !d2.ChainOK || e.hub.Stats().Batches != 2 {
		t.Errorf("d2 holds %d records (chain ok %v), the hub took %d batches: want d2's 5 and not d1's batch",
			d2.Records, d2.ChainOK, e.hub.Stats().Batches)
	}
}
