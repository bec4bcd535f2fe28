package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"

	"switchboard/phone"
)

// This file is the only place that calls fyne.Do. The bridge goroutine
// ranges over the phone's events, takes the newest Snapshot, and renders it
// on the Fyne goroutine; it also ticks the call timers once a second and
// runs the UI closures that background work (keyring, echo test) posts.

// Start subscribes to the phone and runs the bridge goroutine until ctx
// ends; it also registers the saved accounts (reading their passwords off the
// UI goroutine). Call it once, from the Fyne goroutine, before ShowAndRun.
func (u *UI) Start(ctx context.Context) {
	snap, events := u.ctl.Subscribe(ctx)
	u.ctx = ctx
	u.render(snap)
	go func() {
		defer close(u.stopped)
		u.bridge(ctx, snap, events)
	}()
	accts := u.st.Clone().Accounts
	go u.registerSaved(ctx, accts)
}

func (u *UI) bridge(ctx context.Context, snap phone.Snapshot, events <-chan phone.Event) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			batch := []phone.Event{ev}
		drain:
			for len(batch) < 64 {
				select {
				case ev, ok := <-events:
					if !ok {
						break drain
					}
					batch = append(batch, ev)
				default:
					break drain
				}
			}
			snap = u.ctl.Snapshot()
			s := snap
			fyne.Do(func() {
				for _, ev := range batch {
					u.onEvent(ev)
				}
				u.render(s)
				u.rendered()
			})
		case <-tick.C:
			if snap.Listen == "" {
				// The phone learns its listen address when Run starts and
				// publishes no event for it; poll until it is there.
				if s := u.ctl.Snapshot(); s.Listen != "" {
					snap = s
					fyne.Do(func() { u.render(s) })
					continue
				}
			}
			if hasTimer(snap) {
				s := snap
				fyne.Do(func() { u.render(s) })
			}
		case f := <-u.posts:
			fyne.Do(func() {
				f()
				u.rendered()
			})
		}
	}
}

// post hands f to the bridge, which runs it on the Fyne goroutine. It is for
// goroutines the UI started; it gives up when the UI is stopped.
func (u *UI) post(f func()) {
	select {
	case u.posts <- f:
	case <-u.ctx.Done():
	}
}

// hasTimer reports whether s shows something that changes by the second:
// a call timer or a registration retry countdown.
func hasTimer(s phone.Snapshot) bool {
	for _, c := range s.Calls {
		if !c.AnsweredAt.IsZero() {
			return true
		}
	}
	for _, a := range s.Accounts {
		if a.State == phone.RegFailed && !a.Retry.IsZero() {
			return true
		}
	}
	return false
}
