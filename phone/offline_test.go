package phone_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"switchboard/phone"
)

// TestOfflineSignaler: with SIP unavailable the core still runs; accounts
// fail with the reason and dialling says why.
func TestOfflineSignaler(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := phone.New(phone.Config{Signaler: phone.Offline{Err: errors.New("port 5060 refused")}})
	go p.Run(ctx)
	_, events := p.Subscribe(ctx)
	if err := p.SetAccount(phone.Account{ID: "a", AOR: "sip:alice@example.com", Enabled: true}, "pw"); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case ev := <-events:
			if ev.Kind != phone.EvRegFailed {
				continue
			}
			if !strings.Contains(ev.Reg.Reason, "SIP is unavailable: port 5060 refused") {
				t.Fatalf("reason %q", ev.Reg.Reason)
			}
			if _, err := p.Dial("", "sip:bob@192.0.2.1"); err == nil || !strings.Contains(err.Error(), "unavailable") {
				t.Fatalf("dial: %v", err)
			}
			return
		case <-time.After(5 * time.Second):
			t.Fatal("no reg_failed")
		}
	}
}
