// Package wire is the MQTT contract between terminals and the hub, as
// docs/protocol.md specifies it byte by byte: the topic names, the scan
// batch (zlib-compressed CBOR, the records exactly as the terminal's log
// holds them), and the JSON ack, status and report messages.
//
// Every decoder here reads bytes from the network and is bounded: a batch
// inflates to at most MaxBatchBytes and holds at most MaxBatchRecords; a
// JSON message is at most MaxMessageBytes.
//
// # Caveats
//
// A batch is not signed: the broker's per-device credentials and ACL say
// which device published it, and the records' hash chain says whether they
// were changed. The hub checks both.
package wire

import (
	"errors"
	"fmt"
	"strings"
)

// Version is the protocol version in every topic, fuscan/v1/...
const Version = "v1"

// The leaves of a device's topics.
const (
	LeafScans   = "scans"   // device → hub, QoS 1: scan batches
	LeafAck     = "ack"     // hub → device, QoS 1: what the hub holds
	LeafStatus  = "status"  // device → hub, retained; the last will marks it offline
	LeafReports = "reports" // device → hub, QoS 1: update outcomes
)

// ErrTopic is wrapped by the errors of ParseDeviceTopic and ParseUpdateTopic.
var ErrTopic = errors.New("wire: not a fuscan topic")

// root returns "fuscan/v1/TENANT".
func root(tenant string) string { return "fuscan/" + Version + "/" + tenant }

// DeviceTopic returns fuscan/v1/{tenant}/dev/{device}/{leaf}.
func DeviceTopic(tenant, device, leaf string) string {
	return root(tenant) + "/dev/" + device + "/" + leaf
}

// DeviceFilter returns the filter of leaf for every device of tenant:
// fuscan/v1/{tenant}/dev/+/{leaf}.
func DeviceFilter(tenant, leaf string) string { return root(tenant) + "/dev/+/" + leaf }

// ParseDeviceTopic splits fuscan/v1/{tenant}/dev/{device}/{leaf}.
func ParseDeviceTopic(topic string) (tenant, device, leaf string, err error) {
	p := strings.Split(topic, "/")
	if len(p) != 6 || p[0] != "fuscan" || p[1] != Version || p[3] != "dev" || !ValidID(p[2]) || !ValidID(p[4]) {
		return "", "", "", fmt.Errorf("%w: %q", ErrTopic, topic)
	}
	return p[2], p[4], p[5], nil
}

// UpdateTopic returns the topic a bundle of kind for target is retained
// on: fuscan/v1/{tenant}/updates/{kind} for "all",
// fuscan/v1/{tenant}/group/{group}/updates/{kind} for "group:G", and
// fuscan/v1/{tenant}/dev/{device}/updates/{kind} for "device:D".
func UpdateTopic(tenant, target, kind string) (string, error) {
	scope, id, _ := strings.Cut(target, ":")
	switch {
	case target == "all":
		return root(tenant) + "/updates/" + kind, nil
	case scope == "group" && ValidID(id):
		return root(tenant) + "/group/" + id + "/updates/" + kind, nil
	case scope == "device" && ValidID(id):
		return root(tenant) + "/dev/" + id + "/updates/" + kind, nil
	}
	return "", fmt.Errorf("wire: target %q: want all, group:G or device:D", target)
}

// UpdateFilters returns the filters a device subscribes to for its
// updates: those for all devices, for its group (when it has one) and for
// itself.
func UpdateFilters(tenant, group, device string) []string {
	f := []string{root(tenant) + "/updates/+", root(tenant) + "/dev/" + device + "/updates/+"}
	if group != "" {
		f = append(f, root(tenant)+"/group/"+group+"/updates/+")
	}
	return f
}

// ParseUpdateTopic returns the target ("all", "group:G", "device:D") and
// kind of an update topic.
func ParseUpdateTopic(topic string) (target, kind string, err error) {
	p := strings.Split(topic, "/")
	bad := fmt.Errorf("%w: %q", ErrTopic, topic)
	if len(p) < 5 || p[0] != "fuscan" || p[1] != Version || !ValidID(p[2]) {
		return "", "", bad
	}
	switch {
	case len(p) == 5 && p[3] == "updates":
		return "all", p[4], nil
	case len(p) == 7 && p[3] == "group" && p[5] == "updates" && ValidID(p[4]):
		return "group:" + p[4], p[6], nil
	case len(p) == 7 && p[3] == "dev" && p[5] == "updates" && ValidID(p[4]):
		return "device:" + p[4], p[6], nil
	}
	return "", "", bad
}

// ValidID reports whether s may be a tenant, device or group id: 1 to 64
// of A-Z a-z 0-9 . _ - (no MQTT wildcard or separator can slip in).
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}
