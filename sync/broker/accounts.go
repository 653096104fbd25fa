package broker

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fuscan/fuscan/sync/wire"
)

// Iterations is the PBKDF2-SHA256 work factor of a password hash. The
// passwords are 192 random bits, not chosen by people: the hash guards a
// copied accounts file, and a modest count keeps a fleet reconnecting at
// once cheap for the broker.
const Iterations = 10_000

// ErrExists is AddDevice for a device that has an account already.
var ErrExists = errors.New("broker: the device has an account already")

// ErrNoAccount is RemoveDevice for a device without an account.
var ErrNoAccount = errors.New("broker: no such device")

// Account is a device's login at the embedded broker. Its password is
// not kept, only a salted hash of it.
type Account struct {
	Device string    `json:"-"`
	Group  string    `json:"group,omitempty"`
	Hash   string    `json:"hash"` // pbkdf2-sha256$ITERATIONS$SALT$KEY, base64
	Added  time.Time `json:"added"`
}

// accountFile is the accounts file: {"version": 1, "devices": {ID: Account}}.
type accountFile struct {
	Version int                 `json:"version"`
	Devices map[string]*Account `json:"devices"`
}

// ParseAccounts reads an accounts file's content.
func ParseAccounts(data []byte) (map[string]*Account, error) {
	var f accountFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("broker: accounts: %w", err)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("broker: accounts: version %d, want 1", f.Version)
	}
	for id, a := range f.Devices {
		if !wire.ValidID(id) || a == nil || a.Group != "" && !wire.ValidID(a.Group) {
			return nil, fmt.Errorf("broker: accounts: device %q: bad id, group or entry", id)
		}
		a.Device = id
	}
	if f.Devices == nil {
		f.Devices = map[string]*Account{}
	}
	return f.Devices, nil
}

// readAccounts reads the accounts file at path; a file that does not
// exist holds no account.
func readAccounts(path string) (map[string]*Account, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]*Account{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	accts, err := ParseAccounts(data)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return accts, nil
}

// Devices returns the accounts of the file at path, by device id.
func Devices(path string) ([]*Account, error) {
	accts, err := readAccounts(path)
	if err != nil {
		return nil, err
	}
	out := make([]*Account, 0, len(accts))
	for _, a := range accts {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b *Account) int { return strings.Compare(a.Device, b.Device) })
	return out, nil
}

// AddDevice creates the account of device in group ("" for none) in the
// file at path, and returns its password: the only time it is shown. A
// running broker picks the account up at the device's next connection.
func AddDevice(path, device, group string) (password string, err error) {
	if !wire.ValidID(device) {
		return "", fmt.Errorf("broker: device %q: want 1 to 64 of A-Z a-z 0-9 . _ -", device)
	}
	if group != "" && !wire.ValidID(group) {
		return "", fmt.Errorf("broker: group %q: want 1 to 64 of A-Z a-z 0-9 . _ -", group)
	}
	secret := make([]byte, 24)
	rand.Read(secret)
	password = base64.RawURLEncoding.EncodeToString(secret)
	hash, err := hashPassword(password)
	if err != nil {
		return "", err
	}
	err = editAccounts(path, func(accts map[string]*Account) error {
		if accts[device] != nil {
			return fmt.Errorf("%w: %s", ErrExists, device)
		}
		accts[device] = &Account{Device: device, Group: group, Hash: hash, Added: time.Now().UTC().Truncate(time.Second)}
		return nil
	})
	if err != nil {
		return "", err
	}
	return password, nil
}

// RemoveDevice deletes the account of device. A running broker
// disconnects the device at its next message, or when another client
// connects.
func RemoveDevice(path, device string) error {
	return editAccounts(path, func(accts map[string]*Account) error {
		if accts[device] == nil {
			return fmt.Errorf("%w: %s", ErrNoAccount, device)
		}
		delete(accts, device)
		return nil
	})
}

// editAccounts changes the file at path under an exclusive lock and
// replaces it atomically, mode 0600: a reader sees the old file or the
// new one, never a part.
func editAccounts(path string, edit func(map[string]*Account) error) error {
	lock, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("broker: lock %s: %w", lock.Name(), err)
	}
	accts, err := readAccounts(path)
	if err != nil {
		return err
	}
	if err := edit(accts); err != nil {
		return err
	}
	data, err := json.MarshalIndent(accountFile{Version: 1, Devices: accts}, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(path, append(data, '\n'))
}

// writeAtomic writes data to a temporary file next to path, fsyncs it and
// renames it over path.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a failure; gone after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("broker: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("broker: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("broker: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func hashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	rand.Read(salt)
	key, err := pbkdf2.Key(sha256.New, password, salt, Iterations, 32)
	if err != nil {
		return "", fmt.Errorf("broker: %w", err)
	}
	b64 := base64.RawStdEncoding.EncodeToString
	return fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", Iterations, b64(salt), b64(key)), nil
}

// Check reports whether password is the account's.
func (a *Account) Check(password string) bool {
	p := strings.Split(a.Hash, "$")
	if len(p) != 4 || p[0] != "pbkdf2-sha256" {
		return false
	}
	iter, err := strconv.Atoi(p[1])
	if err != nil || iter < 1 || iter > 10_000_000 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(p[2])
	want, err2 := base64.RawStdEncoding.DecodeString(p[3])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iter, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

// statStamp returns what changes when the file at path is replaced or
// written: its size, modification time and inode; "" when it is missing.
func statStamp(path string) string {
	info, err := os.Stat(path)
	if err != nil {
		return ""
	}
	var ino uint64
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		ino = st.Ino
	}
	return fmt.Sprintf("%d %d %d", info.Size(), info.ModTime().UnixNano(), ino)
}
