package terminal

import (
	"cmp"
	"sync"
	"time"
)

// Replays remembers presentations of dynamic codes, so that a screenshot
// shown twice within its validity is caught. The store implements it
// durably; MemoryReplays keeps it in memory.
type Replays interface {
	// Seen records key as presented until the instant until and reports
	// whether it was already recorded and not yet expired at now.
	Seen(key []byte, until, now time.Time) (bool, error)
}

// MemoryReplays is a Replays held in memory, bounded in size. The zero value
// is ready to use and holds at most DefaultReplayMemory entries.
type MemoryReplays struct {
	Max int // entries kept at most; zero: DefaultReplayMemory

	mu   sync.Mutex
	seen map[string]time.Time
}

// DefaultReplayMemory bounds MemoryReplays: a dynamic code is replayable
// for 90 seconds, so this covers over 100 presentations a second.
const DefaultReplayMemory = 10000

// Seen implements Replays. When full it forgets expired entries first and,
// if that is not enough, the entries closest to expiry.
func (m *MemoryReplays) Seen(key []byte, until, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen = map[string]time.Time{}
	}
	if exp, ok := m.seen[string(key)]; ok && now.Before(exp) {
		return true, nil
	}
	if len(m.seen) >= cmp.Or(m.Max, DefaultReplayMemory) {
		m.prune(now)
	}
	m.seen[string(key)] = until
	return false, nil
}

func (m *MemoryReplays) prune(now time.Time) {
	var oldest string
	var oldestExp time.Time
	for k, exp := range m.seen {
		if !now.Before(exp) {
			delete(m.seen, k)
			continue
		}
		if oldest == "" || exp.Before(oldestExp) {
			oldest, oldestExp = k, exp
		}
	}
	if len(m.seen) >= cmp.Or(m.Max, DefaultReplayMemory) {
		delete(m.seen, oldest)
	}
}
