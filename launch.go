package main

// The desktop entry point's launch rules (issue 7): `switchboard [LINK]`
// where LINK is a sip:, sips:, tel: or callto: URI from a desktop URL
// handler, and one window per user: a second launch hands its link to the
// running instance (app/launch) and exits.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"switchboard/app"
	"switchboard/app/launch"
	"switchboard/phone"
	"switchboard/ui"
)

// desktopLaunch is how this GUI process was started.
type desktopLaunch struct {
	// link is the dial target from the command line ("" none).
	link string
	// server receives later launches' links (nil: single instance is
	// unavailable, e.g. an unwritable runtime directory).
	server *launch.Server
}

// runDesktop runs the window for args (the command line after the program
// name): it becomes the user's running instance, or hands the link to the
// one already running and returns nil at once.
func runDesktop(ctx context.Context, args []string, log *slog.Logger) error {
	var l desktopLaunch
	for _, a := range args {
		if strings.HasPrefix(a, "-psn_") { // macOS Finder's process serial number
			continue
		}
		t, ok := launch.ParseLink(a)
		if !ok || l.link != "" {
			return fmt.Errorf("unexpected argument %q (usage: switchboard [sip:|sips:|tel:|callto: link], or switchboard cli --help)", a)
		}
		l.link = t
	}
	dir, err := launch.DefaultDir()
	if err == nil {
		l.server, err = launch.Listen(dir)
	}
	switch {
	case errors.Is(err, launch.ErrRunning):
		hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := launch.Handoff(hctx, dir, l.link); err != nil {
			return err
		}
		log.Info("handed over to the running Switchboard", "link", l.link)
		return nil
	case err != nil:
		log.Warn("cannot check for a running Switchboard; starting anyway", "err", err)
	default:
		defer l.server.Close()
	}
	return runGUI(ctx, log, buildGUICore, l)
}

// start serves later launches and dials the command-line link, once the
// window runs. Call it on the Fyne goroutine.
func (l desktopLaunch) start(ctx context.Context, log *slog.Logger, p *phone.Phone, st app.Settings, u *ui.UI) {
	if l.server != nil {
		go func() {
			err := l.server.Serve(ctx, log, func(r launch.Request) error {
				log.Info("link from another launch", "link", r.Link)
				fyne.Do(func() { u.OpenLink(r.Link) })
				return nil
			})
			if err != nil {
				log.Warn("instance hand-off stopped", "err", err)
			}
		}()
	}
	if l.link != "" {
		go func() {
			// The saved accounts reach the core asynchronously; calling
			// before that would find no account to call from.
			waitAccounts(ctx, p, enabledAccounts(st), 10*time.Second)
			fyne.Do(func() { u.OpenLink(l.link) })
		}()
	}
}

// enabledAccounts counts the accounts the UI hands to the core at start.
func enabledAccounts(st app.Settings) int {
	n := 0
	for _, a := range st.Accounts {
		if a.Enabled {
			n++
		}
	}
	return n
}

// waitAccounts waits until the core knows n accounts, ctx ends or d passes.
func waitAccounts(ctx context.Context, p *phone.Phone, n int, d time.Duration) {
	deadline := time.Now().Add(d)
	for len(p.Snapshot().Accounts) < n && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}
