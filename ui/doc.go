// Package ui is the kiosk's screens, in Fyne: the scan prompt with its
// guide frame, hints and optional camera preview; a full-screen result per
// decision, in the verdict's colour and with its own shape (✓ ! ✕ ?) so
// that colour-blind people read it too; the status bar staff glance at;
// and the admin panel behind a PIN. Elderly mode (关怀模式) makes the text
// 1.5 times larger, holds results twice as long and speaks.
//
// The package only presents. A Kiosk is a terminal.Output whose Show
// returns at once; what it shows of the terminal comes in through Status,
// what the admin panel does goes out through Actions, and the sounds
// through Sound: cmd/fuscan wires them to the engine, the store, the link
// and the sound player. Texts come from one JSON file per language in
// translations/ (Fyne's translation format: adding a language is adding
// a file); the reasons of a decision are the core's own messages
// (terminal.Reason.Message).
//
// Gallery returns every screen state with canned data, for design review
// (fuscan --gallery) and the golden tests.
//
// # Caveats
//
// Fyne's lang package picks one language per process from the system
// locale and cannot switch while the app runs, which the admin panel
// must; the kiosk therefore keeps a go-i18n localizer (the library Fyne's
// lang is built on) per file of translations/. Fyne's own few widget texts
// follow the system locale.
//
// Fyne's bundled font has no Chinese glyphs: Fyne falls back to the
// system's fonts (Debian: fonts-noto-cjk, which scripts/deps.sh
// installs). Without a CJK font, Chinese text shows as boxes.
package ui
