package webrtc_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"switchboard/internal/testpeer"
	"switchboard/phone"
)

const (
	ourTone  = 500.0  // what Switchboard sends
	peerTone = 1200.0 // what the other peer sends
)

func users() map[string]string {
	return map[string]string{"alice": "alice-secret", "bob": "bob-secret", "carol": "carol-secret"}
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func skipShort(t *testing.T) {
	if testing.Short() {
		t.Skip("real peers skipped with -short")
	}
}

// wsAccount is alice on k over ws or wss (trusting the test CA).
func wsAccount(k *testpeer.Kamailio, tr phone.Transport) phone.Account {
	addr := k.WSAddr
	if tr == phone.WSS {
		addr = k.WSSAddr
	}
	return phone.Account{ID: "alice-" + string(tr), AOR: "sip:alice@" + k.Domain, Registrar: "sip:" + addr,
		Transport: tr, CAFile: k.CAFile, Expiry: 120 * time.Second, Enabled: true}
}

func registeredWS(t *testing.T, k *testpeer.Kamailio, tr phone.Transport) *core {
	t.Helper()
	c := newCore(t, ourTone)
	start := time.Now()
	if err := c.SetAccount(wsAccount(k, tr), "alice-secret"); err != nil {
		t.Fatal(err)
	}
	ev := c.wait(t, phone.EvRegistered, phone.EvRegFailed)
	t.Logf("registered over %s in %v, contact %s", tr, time.Since(start).Round(time.Millisecond), ev.Reg.Contact)
	return c
}

// TestRegisterWebSocket registers with digest over ws and wss (the wss
// certificate verified against the test CA), and fails with a human
// message for an untrusted certificate and a wrong password.
func TestRegisterWebSocket(t *testing.T) {
	skipShort(t)
	k := testpeer.StartKamailio(t, testpeer.KamailioOptions{Users: users(), WebSocket: true})
	for _, tr := range []phone.Transport{phone.WS, phone.WSS} {
		t.Run(string(tr), func(t *testing.T) {
			c := registeredWS(t, k, tr)
			snap := c.Snapshot()
			if len(snap.Accounts) != 1 || !strings.HasSuffix(strings.SplitN(snap.Accounts[0].Contact, ";", 2)[0], ".invalid") {
				t.Fatalf("contact %+v, want a .invalid host (RFC 7118)", snap.Accounts)
			}
		})
	}
	t.Run("wss-untrusted", func(t *testing.T) {
		c := newCore(t, ourTone)
		a := wsAccount(k, phone.WSS)
		a.CAFile = ""
		if err := c.SetAccount(a, "alice-secret"); err != nil {
			t.Fatal(err)
		}
		ev := c.wait(t, phone.EvRegFailed, phone.EvRegistered)
		if !strings.Contains(ev.Reg.Reason, "certificate") {
			t.Fatalf("reason %q, want a certificate problem", ev.Reg.Reason)
		}
		t.Logf("untrusted: %s", ev.Reg.Reason)
	})
	t.Run("wrong-password", func(t *testing.T) {
		c := newCore(t, ourTone)
		if err := c.SetAccount(wsAccount(k, phone.WS), "nope"); err != nil {
			t.Fatal(err)
		}
		ev := c.wait(t, phone.EvRegFailed, phone.EvRegistered)
		if !strings.Contains(ev.Reg.Reason, "password") {
			t.Fatalf("reason %q (%d), want a password message", ev.Reg.Reason, ev.Reg.Code)
		}
		t.Logf("wrong password: %s", ev.Reg.Reason)
	})
}
