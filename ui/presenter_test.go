package ui

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"switchboard/phone"
)

func TestNormalizeTarget(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		bad      bool
	}{
		{in: "1001", want: "1001"},
		{in: "  +1 (555) 010-0199 ", want: "+15550100199"},
		{in: "+49 30 1234-5678", want: "+493012345678"},
		{in: "030/123.456", want: "030123456"},
		{in: "0049\u00a030\u2011123", want: "004930123"},
		{in: "*97#", want: "*97#"},
		{in: "tel:+1-555-010-0199", want: "tel:+15550100199"},
		{in: "sip:alice@example.com", want: "sip:alice@example.com"},
		{in: "SIP:alice@example.com:5080;transport=tcp", want: "sip:alice@example.com:5080;transport=tcp"},
		{in: "<sip:bob@10.0.0.2>", want: "sip:bob@10.0.0.2"},
		{in: "alice@example.com", want: "sip:alice@example.com"},
		{in: "192.168.1.20", want: "sip:192.168.1.20"},
		{in: "192.168.1.20:5062", want: "sip:192.168.1.20:5062"},
		{in: "sip:[2001:db8::1]:5062", want: "sip:[2001:db8::1]:5062"},
		{in: "[2001:db8::1]:5062", want: "sip:[2001:db8::1]:5062"},
		{in: "", bad: true},
		{in: "   ", bad: true},
		{in: "+", bad: true},
		{in: "1+2", bad: true},
		{in: "call bob", bad: true},
		{in: "tel:", bad: true},
		{in: "tel:abc", bad: true},
		{in: "sip:", bad: true},
		{in: "http://example.com", bad: true},
	} {
		got, err := NormalizeTarget(tc.in)
		if tc.bad {
			if err == nil || !errors.Is(err, ErrBadTarget) {
				t.Errorf("NormalizeTarget(%q) = %q, %v; want ErrBadTarget", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("NormalizeTarget(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestPresentAccounts(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a, b, c, d := alice(), alice(), alice(), alice()
	b.ID, b.AOR, b.DisplayName = "bob", "sip:bob@x.org", ""
	c.ID, c.AOR, c.DisplayName, c.Enabled = "carol", "sip:carol@x.org", "", false
	d.ID, d.AOR, d.DisplayName, d.NoRegister = "trunk", "sip:trunk@x.org", "", true
	for _, tc := range []struct {
		name   string
		reg    []phone.RegStatus
		accts  []phone.Account
		status []string
		tones  []Tone
		from   string
	}{
		{"registered", []phone.RegStatus{registered("alice")}, []phone.Account{a},
			[]string{"Registered"}, []Tone{ToneOK}, "alice"},
		{"registering", []phone.RegStatus{{AccountID: "alice", State: phone.RegRegistering}}, []phone.Account{a},
			[]string{"Registering…"}, []Tone{TonePending}, "alice"},
		{"failed with reason and retry", []phone.RegStatus{{AccountID: "alice", State: phone.RegFailed, Reason: "wrong password", Code: 403, Retry: now.Add(90 * time.Second)}},
			[]phone.Account{a}, []string{"Failed: wrong password, retrying in 2 min"}, []Tone{ToneError}, "alice"},
		{"failed code only", []phone.RegStatus{{AccountID: "alice", State: phone.RegFailed, Code: 503, Retry: now.Add(5 * time.Second)}},
			[]phone.Account{a}, []string{"Failed: SIP 503, retrying in 5 s"}, []Tone{ToneError}, "alice"},
		{"failed no detail", []phone.RegStatus{{AccountID: "alice", State: phone.RegFailed}},
			[]phone.Account{a}, []string{"Failed: no answer from the server"}, []Tone{ToneError}, "alice"},
		{"second registered is default", []phone.RegStatus{{AccountID: "alice", State: phone.RegFailed}, registered("bob")},
			[]phone.Account{a, b}, []string{"Failed: no answer from the server", "Registered"}, []Tone{ToneError, ToneOK}, "bob"},
		{"not yet known and disabled", nil, []phone.Account{a, c},
			[]string{"Not registered", "Disabled"}, []Tone{ToneNeutral, ToneNeutral}, "alice"},
		{"calls-only trunk", nil, []phone.Account{d},
			[]string{"Calls only (no registration)"}, []Tone{ToneOK}, "trunk"},
		{"unknown to settings", []phone.RegStatus{registered("zed")}, nil,
			[]string{"Registered"}, []Tone{ToneOK}, "zed"},
		{"failed and unknown to settings", []phone.RegStatus{{AccountID: "zed", State: phone.RegFailed}}, nil,
			[]string{"Failed: no answer from the server"}, []Tone{ToneError}, "zed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vm := Present(phone.Snapshot{Accounts: tc.reg, Listen: "sip:10.0.0.1:5060"}, tc.accts, now)
			if len(vm.Accounts) != len(tc.status) {
				t.Fatalf("accounts %+v", vm.Accounts)
			}
			for i, av := range vm.Accounts {
				if av.Status != tc.status[i] || av.Tone != tc.tones[i] {
					t.Errorf("account %d: %q tone %d, want %q tone %d", i, av.Status, av.Tone, tc.status[i], tc.tones[i])
				}
				// Retry re-applies a configured account whose registration failed.
				if want := av.Tone == ToneError && i < len(tc.accts); av.CanRetry != want {
					t.Errorf("account %d: CanRetry %v, want %v", i, av.CanRetry, want)
				}
			}
			if vm.DefaultFrom != tc.from {
				t.Errorf("DefaultFrom = %q, want %q", vm.DefaultFrom, tc.from)
			}
			if last := vm.DialFrom[len(vm.DialFrom)-1]; last.ID != "" || last.Label != "Direct IP" {
				t.Errorf("last DialFrom = %+v", last)
			}
			if vm.DirectIP != "" {
				t.Errorf("DirectIP shown with accounts: %q", vm.DirectIP)
			}
		})
	}
}

func TestDirectIPText(t *testing.T) {
	for in, want := range map[string]string{
		"sip:127.0.0.1:5060":         "Direct IP: sip:you@127.0.0.1:5060",
		"sip:agent@192.0.2.1":        "Direct IP: sip:agent@192.0.2.1",
		"":                           "Direct IP: not listening",
		"sip:[2001:db8::1]:5060":     "Direct IP: sip:you@[2001:db8::1]:5060",
		"sip:10.0.0.1;transport=tcp": "Direct IP: sip:you@10.0.0.1;transport=tcp",
	} {
		vm := Present(phone.Snapshot{Listen: in}, nil, time.Now())
		if vm.DirectIP != want {
			t.Errorf("Listen %q: %q, want %q", in, vm.DirectIP, want)
		}
	}
}

func TestPresentCalls(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	base := phone.CallInfo{ID: "c1", Peer: "sip:1001@pbx", Codec: "PCMA"}
	type btn struct{ answer, decline, hangup, hold, mute, dtmf, record bool }
	for _, tc := range []struct {
		name  string
		edit  func(*phone.CallInfo)
		state string
		timer string
		hold  string
		b     btn
	}{
		{"dialing", func(c *phone.CallInfo) { c.State = phone.StateDialing }, "Calling…", "", "Hold", btn{hangup: true, mute: true}},
		{"ringing", func(c *phone.CallInfo) { c.State = phone.StateRinging }, "Ringing…", "", "Hold", btn{hangup: true, mute: true}},
		{"early media", func(c *phone.CallInfo) { c.State, c.EarlyMedia = phone.StateRinging, true }, "Ringing (early media)", "", "Hold", btn{hangup: true, mute: true}},
		{"incoming", func(c *phone.CallInfo) { c.State, c.AccountID = phone.StateIncoming, "a" }, "Incoming call", "", "Hold", btn{answer: true, decline: true}},
		{"incoming direct", func(c *phone.CallInfo) { c.State = phone.StateIncoming }, "Incoming call (direct IP)", "", "Hold", btn{answer: true, decline: true}},
		{"active", func(c *phone.CallInfo) { c.State, c.AnsweredAt = phone.StateActive, now.Add(-75*time.Second) }, "Connected", "1:15", "Hold",
			btn{hangup: true, hold: true, mute: true, dtmf: true, record: true}},
		{"active long muted", func(c *phone.CallInfo) {
			c.State, c.AnsweredAt, c.Muted = phone.StateActive, now.Add(-(time.Hour + 2*time.Minute + 3*time.Second)), true
		}, "Connected · muted", "1:02:03", "Hold", btn{hangup: true, hold: true, mute: true, dtmf: true, record: true}},
		{"remote hold", func(c *phone.CallInfo) { c.State, c.RemoteHold = phone.StateActive, true }, "Held by the other side", "", "Hold",
			btn{hangup: true, hold: true, mute: true, dtmf: true, record: true}},
		{"held", func(c *phone.CallInfo) { c.State, c.AnsweredAt = phone.StateHeld, now.Add(-time.Second) }, "On hold", "0:01", "Resume",
			btn{hangup: true, hold: true, mute: true, record: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.edit(&c)
			vm := Present(phone.Snapshot{Calls: []phone.CallInfo{c}}, nil, now)
			if len(vm.Calls) != 1 {
				t.Fatalf("calls %+v", vm.Calls)
			}
			v := vm.Calls[0]
			got := btn{v.CanAnswer, v.CanDecline, v.CanHangup, v.CanHold, v.CanMute, v.CanDTMF, v.CanRecord}
			if v.State != tc.state || v.Timer != tc.timer || v.HoldLabel != tc.hold || got != tc.b {
				t.Errorf("got state %q timer %q hold %q buttons %+v", v.State, v.Timer, v.HoldLabel, got)
			}
			if (vm.Incoming != nil) != (c.State == phone.StateIncoming) {
				t.Errorf("Incoming = %+v", vm.Incoming)
			}
			if v.Title != "1001" || v.Subtitle != "1001@pbx" || v.Codec != "PCMA" {
				t.Errorf("peer %q / %q codec %q", v.Title, v.Subtitle, v.Codec)
			}
		})
	}
}

func TestQualityText(t *testing.T) {
	for _, tc := range []struct {
		name       string
		recv, lost uint64
		jitter     float64
		want       string
	}{
		{"no packets yet", 0, 0, 0, QualityGood},
		{"clean", 1000, 0, 5, QualityGood},
		{"just under 1 % and 30 ms", 1000, 9, 29.9, QualityGood},
		{"1 % loss", 990, 10, 5, QualityFair},
		{"30 ms jitter", 1000, 0, 30, QualityFair},
		{"5 % loss is still fair", 950, 50, 10, QualityFair},
		{"80 ms jitter is still fair", 1000, 0, 80, QualityFair},
		{"over 5 % loss", 940, 60, 10, QualityPoor},
		{"over 80 ms jitter", 1000, 0, 80.5, QualityPoor},
		{"all lost", 0, 100, 0, QualityPoor},
		{"lossy and jittery", 800, 200, 120, QualityPoor},
	} {
		st := phone.CallStats{PacketsReceived: tc.recv, PacketsLost: tc.lost, JitterMs: tc.jitter, PacketsSent: 5000}
		if got := QualityText(st); got != tc.want {
			t.Errorf("%s: QualityText(%+v) = %q, want %q", tc.name, st, got, tc.want)
		}
	}
}

func TestPresentStatsAndRecording(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s := phone.Snapshot{Active: "c1", Calls: []phone.CallInfo{
		{ID: "c1", State: phone.StateActive, Peer: "sip:a@x", AnsweredAt: now, Recording: true},
		{ID: "c2", State: phone.StateHeld, Peer: "sip:b@x", AnsweredAt: now},
		{ID: "c3", State: phone.StateActive, Peer: "sip:c@x", AnsweredAt: now},
	}}
	stats := map[phone.CallID]phone.CallStats{
		"c1": {PacketsReceived: 500, JitterMs: 4, SRTP: "AES_CM_128_HMAC_SHA1_80"},
		"c2": {PacketsReceived: 500, PacketsLost: 100, JitterMs: 4},
		"c9": {PacketsReceived: 1}, // a call that ended: ignored
	}
	vm := PresentStats(s, nil, now, stats)
	type view struct {
		quality        string
		encrypted, rec bool
		recLabel       string
	}
	want := []view{{QualityGood, true, true, "Stop rec"}, {QualityPoor, false, false, "Record"}, {"", false, false, "Record"}}
	for i, cv := range vm.Calls {
		if got := (view{cv.Quality, cv.Encrypted, cv.Recording, cv.RecordLabel}); got != want[i] {
			t.Errorf("call %s: %+v, want %+v", cv.ID, got, want[i])
		}
	}
	if plain := Present(s, nil, now); plain.Calls[0].Quality != "" || plain.Calls[0].Encrypted {
		t.Errorf("Present without stats shows quality: %+v", plain.Calls[0])
	}
	if len(stats) != 3 {
		t.Error("PresentStats changed its input")
	}
}

func TestRecordingNotice(t *testing.T) {
	c := phone.CallInfo{ID: "c1", Peer: "sip:1001@pbx", Recording: true}
	if got, want := RecordingNotice(c, "/r/a.wav", ""), "Recording the call with 1001."; got != want {
		t.Errorf("started: %q, want %q", got, want)
	}
	c.Recording = false
	if got, want := RecordingNotice(c, "/r/a.wav", ""), "Recording of the call with 1001 saved to /r/a.wav."; got != want {
		t.Errorf("saved: %q, want %q", got, want)
	}
	if got, want := RecordingNotice(c, "/r/a.wav", "recording failed: disk full"),
		"Recording of the call with 1001 failed: disk full."; got != want {
		t.Errorf("failed: %q, want %q", got, want)
	}
	if got, want := RecordingNotice(c, "/r/a.wav", "12 samples dropped (disk too slow)"),
		"Recording of the call with 1001 saved to /r/a.wav; 12 samples dropped (disk too slow)."; got != want {
		t.Errorf("failed: %q, want %q", got, want)
	}
}

func TestPresentIncomingPicksOldestAndSkipsEnded(t *testing.T) {
	s := phone.Snapshot{Active: "c1", Calls: []phone.CallInfo{
		{ID: "c1", State: phone.StateActive, Peer: "sip:a@x"},
		{ID: "c2", State: phone.StateIncoming, Peer: "sip:b@x", PeerName: "Bea"},
		{ID: "c3", State: phone.StateIncoming, Peer: "sip:c@x"},
		{ID: "c4", State: phone.StateEnded, Peer: "sip:d@x"},
	}}
	vm := Present(s, nil, time.Now())
	if len(vm.Calls) != 3 || vm.Incoming == nil || vm.Incoming.ID != "c2" || vm.Incoming.Title != "Bea" {
		t.Fatalf("vm = %+v", vm)
	}
	if !vm.Calls[0].Active || vm.Calls[1].Active {
		t.Fatal("active flag wrong")
	}
}

func TestPeerText(t *testing.T) {
	for _, tc := range [][4]string{
		{"Bob", "sip:+15550100199@example.com", "Bob", "+15550100199@example.com"},
		{"", "sip:1001@pbx;transport=tcp", "1001", "1001@pbx"},
		{"", "tel:+15550100199", "+15550100199", ""},
		{"", "sip:pbx.example.com", "pbx.example.com", ""},
		{"", "", "Unknown caller", ""},
	} {
		title, sub := PeerText(tc[0], tc[1])
		if title != tc[2] || sub != tc[3] {
			t.Errorf("PeerText(%q, %q) = %q, %q", tc[0], tc[1], title, sub)
		}
	}
}

func TestEndedText(t *testing.T) {
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		c    phone.CallInfo
		want string
	}{
		{phone.CallInfo{Peer: "sip:1001@x", Cause: phone.CauseNormal, AnsweredAt: at, EndedAt: at.Add(61 * time.Second)}, "Call with 1001 ended after 1:01"},
		{phone.CallInfo{Peer: "sip:1001@x", Cause: phone.CauseBusy, Reason: "486 Busy Here"}, "Call with 1001 ended: busy (486 Busy Here)"},
		{phone.CallInfo{Peer: "sip:1001@x", Cause: phone.CauseDeclined, Reason: "declined by user"}, "Call with 1001 ended: declined"},
		{phone.CallInfo{Peer: "sip:1001@x", PeerName: "Ann", Cause: phone.CauseMissed}, "Missed call from Ann"},
		{phone.CallInfo{Peer: "tel:+1555", Cause: phone.CauseAuth, Reason: "403 Forbidden"},
			"Call with +1555 ended: the provider refused the call (check account and password) (403 Forbidden)"},
	} {
		if got := EndedText(tc.c); got != tc.want {
			t.Errorf("EndedText = %q, want %q", got, tc.want)
		}
	}
}

func TestErrorText(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("dial: %w", phone.ErrBusy), "The phone is busy; try again in a moment."},
		{phone.ErrNoSuchCall, "That call has already ended."},
		{&phone.FieldError{Field: "auth user", Message: "is empty"}, "Auth user: is empty"},
		{errors.New("connection refused"), "Connection refused"},
		{nil, ""},
	} {
		if got := ErrorText(tc.err); got != tc.want {
			t.Errorf("ErrorText(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
	_, err := NormalizeTarget("call bob")
	if got := ErrorText(err); !strings.HasPrefix(got, "Not a number or SIP address") {
		t.Errorf("target error text = %q", got)
	}
}
