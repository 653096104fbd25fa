package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/fuscan/fuscan/cmd/internal/hubserver"
	firmwareconfig "github.com/fuscan/fuscan/firmware-config"
	"github.com/fuscan/fuscan/sync/broker"
	"github.com/fuscan/fuscan/terminal/cose"
)

// startHub starts the hub --hub names beside the kiosk and points cfg's
// link at it; the function it returns stops it, after the kiosk.
//
// "embedded" runs a fuscan-hub and its broker in this process, on free
// loopback ports, with its data under DATA/hub: a login for this device
// (a new password at every start), a demo root key (DATA/hub/root.key)
// that the hub and the terminal both trust, and the API token. make run
// uses it, so that the status bar shows the link and the backlog draining;
// an administrator can try updates against it:
//
//	fuscanctl bundle --kind policy --version 2 --sign DATA/hub/root.key --in policy.json --out p.bundle
//	fuscanctl push --hub http://API --token-file DATA/hub/api-token p.bundle
func startHub(ctx context.Context, mode string, cfg *firmwareconfig.Config, logger *slog.Logger) (stop func(), err error) {
	if mode != "embedded" {
		return nil, fmt.Errorf("%q: the only mode is embedded", mode)
	}
	dir := filepath.Join(cfg.Data, "hub")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	rootPub, err := demoRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("demo root key: %w", err)
	}
	accounts := filepath.Join(dir, hubserver.FileAccounts)
	broker.RemoveDevice(accounts, cfg.Device) // a new password at every start; none is kept in clear
	password, err := broker.AddDevice(accounts, cfg.Device, cfg.MQTT.Group)
	if err != nil {
		return nil, fmt.Errorf("device login: %w", err)
	}
	pwFile := filepath.Join(dir, cfg.Device+".password")
	if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
		return nil, err
	}
	hubCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ready := make(chan [2]string, 1)
	done := make(chan error, 1)
	go func() {
		done <- hubserver.Run(hubCtx, hubserver.Options{Data: dir, MQTT: "127.0.0.1:0", HTTP: "127.0.0.1:0",
			Tenant: cfg.MQTT.Tenant, Roots: rootPub, Logger: logger.With("part", "hub"),
			Ready: func(mqtt, http string) { ready <- [2]string{mqtt, http} }})
	}()
	select {
	case addrs := <-ready:
		cfg.MQTT.Broker, cfg.MQTT.User, cfg.MQTT.PasswordFile = "tcp://"+addrs[0], cfg.Device, pwFile
		cfg.MQTT.Roots = []string{rootPub}
		logger.Warn("demo hub running beside the kiosk", "mqtt", addrs[0], "api", "http://"+addrs[1],
			"token_file", filepath.Join(dir, hubserver.FileToken), "root_key", filepath.Join(dir, "root.key"))
	case err := <-done:
		cancel()
		return nil, fmt.Errorf("the embedded hub did not start: %w", err)
	case <-time.After(30 * time.Second):
		cancel()
		return nil, errors.New("the embedded hub did not start within 30 s")
	}
	return func() {
		cancel()
		if err := <-done; err != nil {
			logger.Error("embedded hub", "err", err)
		}
	}, nil
}

// demoRoot returns the public key file of the demo hub's root key in dir,
// making the key (Ed25519) at the first start.
func demoRoot(dir string) (string, error) {
	key, pub := filepath.Join(dir, "root.key"), filepath.Join(dir, hubserver.FileRoots)
	if _, err := os.Stat(key); err == nil {
		return pub, nil
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	privPEM, err := cose.MarshalPrivateKeyPEM(priv)
	if err != nil {
		return "", err
	}
	pubPEM, err := cose.MarshalPublicKeyPEM(priv.Public())
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(pub, pubPEM, 0o644); err != nil {
		return "", err
	}
	return pub, os.WriteFile(key, privPEM, 0o600)
}
