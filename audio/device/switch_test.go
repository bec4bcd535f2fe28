package device

import (
	"context"
	"errors"
	"testing"
	"time"

	"switchboard/audio"
)

// TestSwitchKeepsStreamRunning: switching devices on the null backend
// keeps Source and Sink usable and the callback running.
func TestSwitchKeepsStreamRunning(t *testing.T) {
	_, play, err := List(context.Background(), true)
	if err != nil || len(play) == 0 {
		t.Skipf("null backend lists no playback device: %v", err)
	}
	s := openNull(t, audio.Mono48k)
	defer s.Close()
	if err := s.SwitchPlayback(context.Background(), play[0].ID); err != nil {
		t.Fatal(err)
	}
	if c, p := s.Devices(); c != "" || p != play[0].ID {
		t.Fatalf("Devices() = %q, %q", c, p)
	}
	before := s.Stats().PlayedFrames
	waitFor(t, 5*time.Second, "callback after switch", func() bool { return s.Stats().PlayedFrames >= before+4800 })
	buf := make([]int16, 960)
	if n, _ := s.Sink().Write(buf); n != len(buf) {
		t.Fatalf("Sink.Write after switch = %d", n)
	}
	if err := s.SwitchCapture(context.Background(), "nonexistent"); !errors.Is(err, ErrNoDevice) {
		t.Fatalf("switch to a missing device: %v, want ErrNoDevice", err)
	}
	if c, p := s.Devices(); c != "" || p != play[0].ID {
		t.Fatalf("failed switch changed the devices: %q, %q", c, p)
	}
	before = s.Stats().CapturedFrames
	waitFor(t, 5*time.Second, "callback after a failed switch", func() bool { return s.Stats().CapturedFrames >= before+4800 })
	if got := s.Stats().Switches; got != 1 {
		t.Fatalf("Switches = %d, want 1", got)
	}
}

// TestLostDeviceFallsBack: a stop the backend reports (unplugged device)
// reopens the stream on the defaults and tells OnLost; our own Close does not.
func TestLostDeviceFallsBack(t *testing.T) {
	lost := make(chan Lost, 4)
	s, err := Open(context.Background(), Config{Format: audio.Mono48k, Null: true, OnLost: func(l Lost) { lost <- l }})
	if err != nil {
		t.Fatal(err)
	}
	s.onStop(playDir, s.gens[playDir].Load()) // what miniaudio does when the speaker goes away
	select {
	case l := <-lost:
		if l.Err != nil || l.Capture {
			t.Fatalf("fallback: %+v", l)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OnLost not called")
	}
	st := s.Stats()
	if st.Stopped || st.Switches != 1 {
		t.Fatalf("after fallback: %+v", st)
	}
	before := st.PlayedFrames
	waitFor(t, 5*time.Second, "callback after fallback", func() bool { return s.Stats().PlayedFrames >= before+4800 })
	s.onStop(capDir, s.gens[capDir].Load()-1) // a stale device: ignored
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case l := <-lost:
		t.Fatalf("unexpected OnLost %+v", l)
	case <-time.After(200 * time.Millisecond):
	}
}
