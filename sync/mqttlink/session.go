package mqttlink

import (
	"context"
	"errors"
	"fmt"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/fxamacker/cbor/v2"

	"github.com/fuscan/fuscan/sync/wire"
)

// connectTimeout bounds connecting and subscribing.
const connectTimeout = 10 * time.Second

// message is one received message, handed from paho's goroutine to ours.
type message struct {
	topic string
	data  []byte
}

// session is one connection to the broker, from connect to loss.
type session struct {
	l       *Link
	client  mqtt.Client
	lost    chan error
	acks    chan wire.Ack
	updates chan message

	cursor, sent uint64 // the log's outbox cursor; the last seq sent
	inflight     []*batch
	hold         time.Time // after a refused batch: send nothing before it
	offline      time.Time // when the link was lost before this session
	backlogWas   bool      // the last fill found records to send
}

// batch is one batch sent and not yet acknowledged.
type batch struct {
	last  uint64
	count int
	sent  time.Time
	acked bool
}

func (l *Link) topic(leaf string) string { return wire.DeviceTopic(l.opts.Tenant, l.opts.Device, leaf) }

// session connects, subscribes, announces the device and drains the log
// until the connection is lost (it returns why) or ctx is done (it
// returns nil after publishing the offline status).
func (l *Link) session(ctx context.Context) error {
	s := &session{l: l, lost: make(chan error, 1), acks: make(chan wire.Ack, 256), updates: make(chan message, 64)}
	if err := s.connect(); err != nil {
		return err
	}
	defer s.client.Disconnect(250)
	updatesDone := make(chan struct{})
	go func() {
		defer close(updatesDone)
		s.applyUpdates()
	}()
	defer func() {
		close(s.updates)
		<-updatesDone
	}()
	if err := s.subscribe(); err != nil {
		return err
	}
	s.offline = l.State().OfflineSince
	l.setState(func(st *State) {
		st.Connected, st.Since, st.OfflineSince, st.LastError = true, l.now(), time.Time{}, ""
	})
	l.logger.Info("hub link up", "broker", l.opts.Broker, "device", l.opts.Device)
	s.cursor = l.opts.Log.Acked()
	s.sent = s.cursor
	s.publishStatus()
	err := s.run(ctx)
	if ctx.Err() != nil {
		stopped := wire.Encode(wire.Status{Online: false, Reason: "stopped", Time: l.now().UTC(), Device: l.opts.Device})
		s.client.Publish(l.topic(wire.LeafStatus), 1, true, stopped).WaitTimeout(2 * time.Second)
		return nil
	}
	return err
}

// connect opens the MQTT connection, with the last will that marks the
// device offline.
func (s *session) connect() error {
	l := s.l
	will := wire.Encode(wire.Status{Online: false, Reason: "lost", Device: l.opts.Device})
	o := mqtt.NewClientOptions().
		AddBroker(l.opts.Broker).
		SetClientID("fuscan-"+l.opts.Tenant+"-"+l.opts.Device).
		SetCleanSession(true).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetKeepAlive(30*time.Second).
		SetPingTimeout(10*time.Second).
		SetConnectTimeout(connectTimeout).
		SetWriteTimeout(connectTimeout).
		SetOrderMatters(false).
		SetBinaryWill(l.topic(wire.LeafStatus), will, 1, true).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) {
			select {
			case s.lost <- err:
			default:
			}
		})
	if l.opts.User != "" {
		o.SetUsername(l.opts.User).SetPassword(l.opts.Password)
	}
	if l.opts.TLS != nil {
		o.SetTLSConfig(l.opts.TLS)
	}
	s.client = mqtt.NewClient(o)
	tok := s.client.Connect()
	if !tok.WaitTimeout(connectTimeout + time.Second) {
		s.client.Disconnect(0)
		return errors.New("connect: timed out")
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	return nil
}

// subscribe subscribes to the device's acks and its update topics.
func (s *session) subscribe() error {
	l := s.l
	filters := map[string]byte{l.topic(wire.LeafAck): 1}
	for _, f := range wire.UpdateFilters(l.opts.Tenant, l.opts.Group, l.opts.Device) {
		filters[f] = 1
	}
	ackTopic := l.topic(wire.LeafAck)
	tok := s.client.SubscribeMultiple(filters, func(_ mqtt.Client, m mqtt.Message) {
		if m.Topic() == ackTopic {
			var a wire.Ack
			if err := wire.Decode(m.Payload(), &a); err != nil {
				l.logger.Warn("hub ack does not decode", "err", err)
				return
			}
			s.acks <- a
			return
		}
		s.updates <- message{topic: m.Topic(), data: m.Payload()}
	})
	if !tok.WaitTimeout(connectTimeout) {
		return errors.New("subscribe: timed out")
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	return nil
}

// applyUpdates hands each update to Options.Update, one at a time, and
// publishes its report.
func (s *session) applyUpdates() {
	for m := range s.updates {
		if s.l.opts.Update == nil {
			continue
		}
		r, ok := s.l.opts.Update(m.topic, m.data)
		if ok {
			s.client.Publish(s.l.topic(wire.LeafReports), 1, false, wire.Encode(r))
		}
	}
}

// publishStatus publishes the retained status.
func (s *session) publishStatus() {
	l := s.l
	var st wire.Status
	if l.opts.Status != nil {
		st = l.opts.Status()
	} else {
		st.Acked = l.opts.Log.Acked()
	}
	st.Online, st.Reason, st.Time, st.Device, st.OfflineSince = true, "", l.now().UTC(), l.opts.Device, s.offline
	if st.Group == "" {
		st.Group = l.opts.Group
	}
	ls := l.State()
	if ls.HubSkewKnown {
		st.ClockSkew = ls.HubSkew.Seconds()
	}
	st.LastError = ls.LastError
	s.client.Publish(l.topic(wire.LeafStatus), 1, true, wire.Encode(st))
}

// run drains the log until the connection is lost or ctx is done.
func (s *session) run(ctx context.Context) error {
	l := s.l
	status := time.NewTicker(l.opts.StatusEvery)
	defer status.Stop()
	poll := time.NewTicker(l.opts.Poll)
	defer poll.Stop()
	check := time.NewTicker(min(l.opts.AckTimeout/4, time.Second))
	defer check.Stop()
	for {
		if err := s.fill(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-s.lost:
			return fmt.Errorf("connection lost: %w", err)
		case a := <-s.acks:
			if err := s.ack(a); err != nil {
				return err
			}
		case <-l.wake:
		case <-poll.C:
		case <-status.C:
			s.publishStatus()
		case <-check.C:
			s.checkTimeout()
		}
	}
}

// fill sends batches from the log until the window is full or nothing is
// left to send.
func (s *session) fill() error {
	l := s.l
	if time.Now().Before(s.hold) {
		return nil
	}
	for len(s.inflight) < l.opts.Window {
		recs, last, err := l.opts.Log.Pending(s.sent, l.opts.BatchRecords, l.opts.BatchBytes)
		if err != nil {
			return fmt.Errorf("reading the log: %w", err)
		}
		if len(recs) == 0 {
			if s.backlogWas && len(s.inflight) == 0 {
				s.publishStatus() // drained: say so at once
				s.backlogWas = false
			}
			return nil
		}
		raw := make([]cbor.RawMessage, len(recs))
		for i, r := range recs {
			raw[i] = r
		}
		payload, err := (&wire.Batch{Device: l.opts.Device, Records: raw}).Encode()
		if err != nil {
			return fmt.Errorf("encoding a batch: %w", err)
		}
		s.client.Publish(l.topic(wire.LeafScans), 1, false, payload)
		s.inflight = append(s.inflight, &batch{last: last, count: len(recs), sent: time.Now()})
		s.sent, s.backlogWas = last, true
		l.setState(func(st *State) { st.InFlight = len(s.inflight) })
	}
	return nil
}

// ack takes the hub's ack: it marks its batch, and moves the log's
// cursor over the batches acknowledged in order.
func (s *session) ack(a wire.Ack) error {
	l := s.l
	now := l.now()
	l.setState(func(st *State) {
		st.LastAck, st.HubHeld = now, a.Held
		if !a.Time.IsZero() {
			st.HubSkew, st.HubSkewKnown = now.Sub(a.Time), true
		}
	})
	if l.opts.Acked != nil {
		l.opts.Acked(a)
	}
	if a.Error != "" {
		l.logger.Error("the hub refused a batch; sending it again later", "first", a.First, "last", a.Last, "err", a.Error)
		l.setState(func(st *State) { st.Refused++; st.LastError = "hub refused a batch: " + a.Error })
		s.resend()
		s.hold = time.Now().Add(l.opts.AckTimeout)
		return nil
	}
	for _, b := range s.inflight {
		if b.last == a.Last {
			b.acked = true
		}
	}
	n, records := 0, 0
	for n < len(s.inflight) && s.inflight[n].acked {
		records += s.inflight[n].count
		n++
	}
	if n == 0 {
		return nil
	}
	cursor := s.inflight[n-1].last
	if err := l.opts.Log.Ack(cursor); err != nil {
		return fmt.Errorf("moving the outbox cursor: %w", err)
	}
	s.cursor, s.inflight = cursor, s.inflight[n:]
	l.setState(func(st *State) {
		st.AckedRecords += uint64(records)
		st.InFlight = len(s.inflight)
		st.LastError = "" // the hub takes batches again
	})
	l.rate(now, records)
	return nil
}

// checkTimeout sends everything unacknowledged again when the oldest
// batch has waited too long for its ack.
func (s *session) checkTimeout() {
	if len(s.inflight) == 0 || !s.inflight[0].sent.Before(time.Now().Add(-s.l.opts.AckTimeout)) {
		return
	}
	s.l.logger.Warn("no ack from the hub; sending the unacknowledged records again", "after", s.cursor, "batches", len(s.inflight))
	s.resend()
}

// resend forgets what is in flight, so that fill sends it again from the
// cursor.
func (s *session) resend() {
	s.sent, s.inflight = s.cursor, nil
	s.l.setState(func(st *State) { st.InFlight = 0 })
}
