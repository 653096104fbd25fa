package engine

import (
	"cmp"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	firmwareconfig "github.com/fuscan/fuscan/firmware-config"
	"github.com/fuscan/fuscan/sync/bundle"
	"github.com/fuscan/fuscan/sync/mqttlink"
	"github.com/fuscan/fuscan/sync/wire"
	"github.com/fuscan/fuscan/terminal"
)

// openLink builds the hub link when a broker is configured: the uplink of
// the log, the status, and the updater of signed bundles.
func (e *Engine) openLink() error {
	m := e.cfg.MQTT
	if m.Broker == "" {
		return nil
	}
	roots, err := e.roots()
	if err != nil {
		return err
	}
	if roots == nil {
		e.logger.Warn("no root keys (mqtt.roots, --roots): every update bundle will be refused as ROOT_UNKNOWN")
	}
	e.updater = bundle.NewUpdater(bundle.UpdaterOptions{Device: e.cfg.Device, Group: m.Group, Roots: roots, Holder: e, Now: e.now})
	var password string
	if m.PasswordFile != "" {
		data, err := os.ReadFile(m.PasswordFile)
		if err != nil {
			return fmt.Errorf("mqtt password: %w", err)
		}
		password = strings.TrimSpace(string(data))
	}
	user := m.User
	if user == "" && password != "" {
		user = e.cfg.Device
	}
	e.link, err = mqttlink.New(mqttlink.Options{
		Broker: m.Broker, Tenant: m.Tenant, Device: e.cfg.Device, Group: m.Group, User: user, Password: password,
		Log: e.store, Status: e.status, Update: e.update, Acked: e.acked, Now: e.now, Logger: e.logger,
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

// roots returns the roots in effect: those of the last roots bundle
// applied, else the configured files; nil when there are none.
func (e *Engine) roots() (*bundle.Roots, error) {
	if a := e.parts.applied[kindRoots]; a != nil {
		return bundle.ParseRoots(a.Data)
	}
	var pems []byte
	for _, path := range e.cfg.MQTT.Roots {
		data, err := readFile(path)
		if err != nil {
			return nil, fmt.Errorf("roots: %w", err)
		}
		pems = append(append(pems, data...), '\n')
	}
	if len(pems) == 0 {
		return nil, nil
	}
	r, err := bundle.ParseRoots(pems)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return r, nil
}

// update decides one bundle from the hub and remembers its outcome.
func (e *Engine) update(topic string, data []byte) (wire.Report, bool) {
	r, ok := e.updater.Offer(topic, data)
	if !ok {
		return r, false
	}
	log := e.logger.Info
	if r.Outcome != wire.OutcomeApplied {
		log = e.logger.Warn
	}
	log("update bundle", "topic", topic, "kind", r.Kind, "version", r.Version, "outcome", r.Outcome, "reason", r.Reason, "detail", r.Detail)
	e.mu.Lock()
	e.lastUpdate = r
	e.mu.Unlock()
	return r, true
}

// applyRemote puts a config bundle's settings in effect.
func (e *Engine) applyRemote(r firmwareconfig.Remote) {
	e.mu.Lock()
	e.cfg = e.cfg.WithRemote(r)
	cfg := e.cfg
	e.mu.Unlock()
	e.pipeline.SetVenue(cfg.Venue)
	e.pipeline.SetDedupeWindow(time.Duration(cfg.Dedupe))
}

// acked takes the hub's view from each ack: the highest seq it holds for
// this device, which the log must never fall behind. A log behind it lost
// records (a damaged or restored store): it skips to it, so that no seq
// the hub holds is used again, and reports the gap as damage.
func (e *Engine) acked(a wire.Ack) {
	c, err := e.store.Counters()
	if err != nil || a.Held <= c.LastSeq {
		return
	}
	why := fmt.Sprintf("the hub holds records up to %d for this device; this log ended at %d", a.Held, c.LastSeq)
	if _, err := e.store.SkipTo(a.Held, why); err != nil {
		e.logger.Error("the log is behind the hub and could not skip ahead", "hub_held", a.Held, "err", err)
	}
}

// status is what the device reports in its retained status.
func (e *Engine) status() wire.Status {
	e.mu.Lock()
	cfg := e.cfg
	e.mu.Unlock()
	st := wire.Status{Venue: cfg.Venue, Group: cfg.MQTT.Group, AppVersion: AppVersion(), Versions: e.versions()}
	if c, err := e.store.Counters(); err == nil {
		st.LastSeq, st.Acked, st.Backlog = c.LastSeq, c.AckedSeq, c.Backlog
	}
	if at, ok := e.store.OldestUnsynced(); ok {
		st.OldestUnsynced = at.UTC()
	}
	t := e.verifier.Trust()
	st.TrustExpires = t.ExpiresAt
	st.Clock = e.clockState(t.Policy.ClockSkew)
	return st
}

// clockState says whether the terminal's clock is trusted: "untrusted"
// below the floor or never set, "skewed" when it is further from the
// hub's than the policy's clock skew, else "ok".
func (e *Engine) clockState(skew time.Duration) string {
	now := e.now()
	if now.Before(e.store.Floor()) || now.Year() < terminal.MinTrustedYear {
		return "untrusted"
	}
	if e.link != nil {
		limit := cmp.Or(skew, terminal.DefaultClockSkew)
		if ls := e.link.State(); ls.HubSkewKnown && (ls.HubSkew > limit || -ls.HubSkew > limit) {
			return "skewed"
		}
	}
	return "ok"
}

// AppVersion is the terminal's version: the module version and VCS
// revision the binary was built from.
func AppVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v += "+" + s.Value[:min(12, len(s.Value))]
		case "vcs.modified":
			if s.Value == "true" {
				v += "-dirty"
			}
		}
	}
	return v
}
