package phone_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/audio"
	"switchboard/phone"
	"switchboard/phone/phonetest"
)

// fakeRecorder is a phone.Recorder that remembers whether it was closed.
type fakeRecorder struct {
	path   string
	mu     sync.Mutex
	closed bool
}

func (r *fakeRecorder) Local([]int16, audio.Format)  {}
func (r *fakeRecorder) Remote([]int16, audio.Format) {}
func (r *fakeRecorder) Dropped() uint64              { return 0 }
func (r *fakeRecorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	return nil
}
func (r *fakeRecorder) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

func TestRecordingName(t *testing.T) {
	at := time.Date(2026, 11, 23, 13, 2, 0, 0, time.UTC)
	for _, tc := range []struct {
		c    phone.CallInfo
		want string
	}{
		{phone.CallInfo{Direction: phone.Outbound, Peer: "sip:bob@example.com"}, "2026-11-23_1302_out_bob-example.com.wav"},
		{phone.CallInfo{Direction: phone.Inbound, Peer: "\"Eve\" <sips:eve@10.0.0.1:5061;transport=tls>"}, "2026-11-23_1302_in_eve-10.0.0.1_5061.wav"},
		{phone.CallInfo{Direction: phone.Outbound, Peer: "tel:+1 555/../x"}, "2026-11-23_1302_out_+1_555_.._x.wav"},
		{phone.CallInfo{Direction: phone.Inbound, Peer: "../.."}, "2026-11-23_1302_in_unknown.wav"},
	} {
		got := phone.RecordingName(tc.c, at)
		if got != tc.want {
			t.Errorf("RecordingName(%q) = %q, want %q", tc.c.Peer, got, tc.want)
		}
		if strings.ContainsAny(got, "/\\:") || filepath.Base(got) != got {
			t.Errorf("%q is not a plain file name", got)
		}
	}
}

// TestRecordAttachesTap: Record gives the session the recorder as Tap and
// keeps it across hold and mute; stopping and the call end close it.
func TestRecordAttachesTap(t *testing.T) {
	var recs []*fakeRecorder
	var mu sync.Mutex
	dir := t.TempDir()
	p, sig, events := start(t, phone.Config{RecordDir: dir, OpenRecorder: func(path string) (phone.Recorder, error) {
		mu.Lock()
		defer mu.Unlock()
		r := &fakeRecorder{path: path}
		recs = append(recs, r)
		return r, nil
	}})
	if err := p.Record("", true); !errors.Is(err, phone.ErrNoSuchCall) {
		t.Fatalf("Record without a call: %v", err)
	}
	if _, err := p.Dial("", "sip:bob@example.com"); err != nil {
		t.Fatal(err)
	}
	s := <-sig.Dials
	s.Emit(phone.SessionEvent{Kind: phone.SessAnswered, Codec: "PCMU"})
	phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvAnswered))

	if err := p.Record("", true); err != nil {
		t.Fatal(err)
	}
	ev := phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvRecording))
	if !ev.Call.Recording || filepath.Dir(ev.Path) != dir || !strings.HasSuffix(ev.Path, "_out_bob-example.com.wav") {
		t.Fatalf("start event: %v %q", ev.Call.Recording, ev.Path)
	}
	rec := recs[0]
	if s.Audio.Tap != phone.Tap(rec) {
		t.Fatal("session has no tap")
	}
	if err := p.Record("", true); err != nil || len(recs) != 1 {
		t.Fatalf("second Record on: %v, %d recorders", err, len(recs))
	}
	if err := p.Mute("", true); err != nil {
		t.Fatal(err)
	}
	phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvMuted))
	if s.Audio.Tap != phone.Tap(rec) {
		t.Fatal("mute dropped the tap")
	}
	if err := p.Hold(""); err != nil {
		t.Fatal(err)
	}
	phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvHeld))
	if s.Audio.Tap != phone.Tap(rec) {
		t.Fatal("hold dropped the tap")
	}
	if err := p.Record("", false); err != nil {
		t.Fatal(err)
	}
	ev = phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvRecording))
	if ev.Call.Recording || !rec.isClosed() || s.Audio.Tap != nil {
		t.Fatalf("after stop: recording=%v closed=%v tap=%v", ev.Call.Recording, rec.isClosed(), s.Audio.Tap)
	}
	if err := p.Record("", true); err != nil {
		t.Fatal(err)
	}
	phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvRecording))
	s.Emit(phone.SessionEvent{Kind: phone.SessEnded, Cause: phone.CauseNormal})
	phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvEnded))
	ev = phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvRecording))
	mu.Lock()
	second := recs[1]
	mu.Unlock()
	if ev.Call.Recording || !second.isClosed() || ev.Path != second.path {
		t.Fatalf("call end: %+v closed=%v", ev, second.isClosed())
	}
}

func TestRecordUnavailable(t *testing.T) {
	p, sig, events := start(t, phone.Config{})
	if _, err := p.Dial("", "sip:bob@example.com"); err != nil {
		t.Fatal(err)
	}
	s := <-sig.Dials
	s.Emit(phone.SessionEvent{Kind: phone.SessAnswered, Codec: "PCMU"})
	phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvAnswered))
	if err := p.Record("", true); !errors.Is(err, phone.ErrNoRecorder) {
		t.Fatalf("Record: %v, want ErrNoRecorder", err)
	}
}

// switchAudio is a phone.Audio that can switch devices.
type switchAudio struct {
	mu   sync.Mutex
	play string
}

func (a *switchAudio) Source() audio.Source { return audio.Silence{F: audio.Mono8k} }
func (a *switchAudio) Sink() audio.Sink     { return audio.Discard{F: audio.Mono8k} }
func (a *switchAudio) SwitchCapture(ctx context.Context, id string) error {
	return errors.New("no such microphone")
}
func (a *switchAudio) SwitchPlayback(ctx context.Context, id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.play = id
	return nil
}

func TestSwitchAudioDevice(t *testing.T) {
	p, _, _ := start(t, phone.Config{})
	if err := p.SwitchAudioDevice(false, "x"); !errors.Is(err, phone.ErrNoDeviceSwitch) {
		t.Fatalf("no device: %v", err)
	}
	a := &switchAudio{}
	p2, _, events := start(t, phone.Config{Audio: a})
	if err := p2.SwitchAudioDevice(false, "spkB"); err != nil {
		t.Fatal(err)
	}
	ev := phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvAudioDevice))
	if !strings.Contains(ev.Message, "spkB") {
		t.Fatalf("event message %q", ev.Message)
	}
	if err := p2.SwitchAudioDevice(true, "mic2"); err != nil {
		t.Fatal(err)
	}
	ev = phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvError))
	if !strings.Contains(ev.Message, "no such microphone") {
		t.Fatalf("error message %q", ev.Message)
	}
	p2.ReportAudioDevice("speaker unplugged; using the default")
	phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvAudioDevice))
}

// fixedAudio is a phone.Audio of a given sink.
type fixedAudio struct{ sink audio.Sink }

func (a fixedAudio) Source() audio.Source { return audio.Silence{F: audio.Mono8k} }
func (a fixedAudio) Sink() audio.Sink     { return a.sink }

func TestSetAudioMovesActiveCall(t *testing.T) {
	first, second := audio.Discard{F: audio.Mono8k}, audio.Discard{F: audio.Mono16k}
	p, sig, events := start(t, phone.Config{Audio: fixedAudio{first}})
	if _, err := p.Dial("", "sip:bob@example.com"); err != nil {
		t.Fatal(err)
	}
	s := <-sig.Dials
	s.Emit(phone.SessionEvent{Kind: phone.SessAnswered, Codec: "PCMU"})
	phonetest.WaitEvent(t, events, phonetest.Kind(phone.EvAnswered))
	if err := p.SetAudio(fixedAudio{second}); err != nil {
		t.Fatal(err)
	}
	if s.Audio.Sink != audio.Sink(second) {
		t.Fatalf("call still plays to %v", s.Audio.Sink)
	}
}
