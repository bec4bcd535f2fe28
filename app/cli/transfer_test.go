package cli_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"switchboard/phone"
)

// waitEvent reads core events until one of kind arrives.
func waitEvent(t *testing.T, ch <-chan phone.Event, kind phone.EventKind) phone.Event {
	t.Helper()
	for {
		select {
		case ev := <-ch:
			if ev.Kind == kind {
				return ev
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("no %s event", kind)
		}
	}
}

// TestTransferCommands drives blind and attended transfer and a merge
// through the cli between three direct-IP phone cores (the far ends run
// the same core, so they are the transferee and the target).
func TestTransferCommands(t *testing.T) {
	ours, _ := startCore(t, false)
	bob, bobAddr := startCore(t, true)
	carol, carolAddr := startCore(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, bobEv := bob.Subscribe(ctx)
	_, carolEv := carol.Subscribe(ctx)
	d := drive(t, ctx, ours)

	// Blind: bob is sent to carol; bob and carol end up talking.
	d.send("dial sip:bob@" + bobAddr)
	ans := d.next("answered")
	d.send("transfer sip:carol@" + carolAddr)
	for {
		m := d.next("transfer")
		if m["state"] == "failed" {
			t.Fatalf("blind transfer failed: %v", m)
		}
		if m["state"] == "done" {
			if m["kind"] != "blind" || m["call"] != ans["call"] {
				t.Fatalf("transfer event %v", m)
			}
			break
		}
	}
	if m := d.next("ended"); m["cause"] != "transferred" {
		t.Fatalf("ended %v", m)
	}
	waitEvent(t, carolEv, phone.EvAnswered)
	if s := bob.Snapshot(); len(s.Calls) != 1 || s.Calls[0].State != phone.StateActive {
		t.Fatalf("bob after the transfer: %+v", s.Calls)
	}
	_ = bob.Hangup("")
	waitEvent(t, carolEv, phone.EvEnded)

	// Attended: consult carol, complete; bob's new call replaces ours at carol.
	d.send("dial sip:bob@" + bobAddr)
	first := d.next("answered")
	d.send("consult sip:carol@" + carolAddr)
	// The consultation is announced by the command and answered by carol;
	// either may print first.
	kid, answered := "", map[string]bool{}
	for kid == "" || !answered[kid] {
		m := d.next("consulting", "answered")
		if m["event"] == "consulting" {
			kid = m["call"].(string)
		} else {
			answered[m["call"].(string)] = true
		}
	}
	d.send("complete " + kid)
	for {
		m := d.next("transfer")
		if m["state"] == "failed" {
			t.Fatalf("attended transfer failed: %v", m)
		}
		if m["state"] == "done" {
			if m["kind"] != "attended" || m["call"] != first["call"] {
				t.Fatalf("transfer event %v", m)
			}
			break
		}
	}
	for ev := waitEvent(t, carolEv, phone.EvEnded); ev.Call.Cause != phone.CauseReplaced; ev = waitEvent(t, carolEv, phone.EvEnded) {
	}
	if ev := waitEvent(t, carolEv, phone.EvAnswered); ev.Call.Direction != phone.Inbound {
		t.Fatalf("carol answered %+v", ev.Call)
	}
	if s := carol.Snapshot(); len(s.Calls) != 1 || s.Calls[0].State != phone.StateActive {
		t.Fatalf("carol after the attended transfer: %+v", s.Calls)
	}
	_ = carol.Hangup("")
	waitEvent(t, bobEv, phone.EvEnded)

	// Merge: two calls in a local conference, then split.
	d.send("dial sip:bob@" + bobAddr)
	d.next("answered")
	d.send("dial sip:carol@" + carolAddr)
	d.next("answered")
	d.send("merge")
	if m := d.next("conference"); len(m["calls"].([]any)) != 2 {
		t.Fatalf("conference %v", m)
	}
	d.send("split")
	if m := d.next("conference"); len(m["calls"].([]any)) != 0 {
		t.Fatalf("after split %v", m)
	}
	for _, ci := range ours.Snapshot().Calls {
		if err := ours.Hangup(ci.ID); err != nil {
			t.Fatal(err)
		}
		d.next("ended")
	}
	for len(bob.Snapshot().Calls)+len(carol.Snapshot().Calls) > 0 {
		select {
		case <-bobEv:
		case <-carolEv:
		case <-ctx.Done():
			t.Fatal("bob and carol still have calls")
		}
	}

	// Forward: bob calls us, we send the ringing call to carol (302); bob
	// follows the redirect and talks to carol.
	ourAddr := strings.TrimPrefix(ours.Snapshot().Listen, "sip:")
	if _, err := bob.Dial("", "sip:alice@"+ourAddr); err != nil {
		t.Fatal(err)
	}
	in := d.next("incoming")
	d.send("forward sip:carol@" + carolAddr + " " + in["call"].(string))
	if m := d.next("ended"); m["cause"] != "forwarded" {
		t.Fatalf("forwarded call ended %v", m)
	}
	for {
		ev := waitEvent(t, bobEv, phone.EvAnswered)
		if strings.Contains(ev.Call.Peer, "carol@") {
			break
		}
	}
	_ = bob.Hangup("")
	d.send("park")
	if m := d.next("error"); m["message"] == "" {
		t.Fatalf("park without a code: %v", m)
	}
	d.quit()
}
