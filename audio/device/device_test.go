package device

import (
	"context"
	"errors"
	"testing"
	"time"

	"switchboard/audio"
	"switchboard/audio/tone"
)

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not synchronisation
	}
}

func openNull(t *testing.T, f audio.Format) *Stream {
	t.Helper()
	s, err := Open(context.Background(), Config{Format: f, Null: true, PeriodMs: 10})
	if err != nil {
		t.Fatalf("Open null device: %v", err)
	}
	return s
}

func TestNullStreamRunsCallback(t *testing.T) {
	s := openNull(t, audio.Mono48k)
	defer s.Close()
	// The null backend paces itself in real time: 4800 frames is ~100 ms.
	waitFor(t, 5*time.Second, "capture callback frames", func() bool { return s.Stats().CapturedFrames >= 4800 })
	waitFor(t, 5*time.Second, "playback callback frames", func() bool { return s.Stats().PlayedFrames >= 4800 })

	// Mic: reads never block and always fill the buffer (null capture is
	// silence).
	p := make([]int16, audio.Mono48k.SamplesPer(20))
	for i := range p {
		p[i] = 123
	}
	if n, err := s.Source().Read(p); n != len(p) || err != nil {
		t.Fatalf("Source.Read = %d, %v", n, err)
	}
	for i, v := range p {
		if v != 0 {
			t.Fatalf("mic sample %d = %d, want silence from the null device", i, v)
		}
	}
	if s.Stats().PlaybackUnderruns == 0 {
		t.Fatal("speaker ran with nothing written yet but no underrun was counted")
	}
}

func TestNullStreamConsumesSink(t *testing.T) {
	f := audio.Format{Rate: 16000, Channels: 2}
	s := openNull(t, f)
	defer s.Close()
	if s.Sink().Format() != f || s.Source().Format() != f {
		t.Fatalf("formats %+v / %+v", s.Sink().Format(), s.Source().Format())
	}
	before := s.Stats().PlayedSamples
	buf := make([]int16, f.SamplesPer(100))
	tone.NewSine(f, 1000, 0.5).Read(buf)
	if n, err := s.Sink().Write(buf); n != len(buf) || err != nil {
		t.Fatalf("Sink.Write = %d, %v", n, err)
	}
	waitFor(t, 5*time.Second, "playback to consume the tone", func() bool {
		return s.Stats().PlayedSamples-before >= uint64(len(buf))
	})
	if st := s.Stats(); st.PlaybackOverruns != 0 {
		t.Fatalf("100 ms tone overran a 200 ms ring: %+v", st)
	}

	// Writing far more than the ring holds drops the excess and counts it.
	big := make([]int16, f.SamplesPer(1000))
	s.Sink().Write(big)
	if st := s.Stats(); st.PlaybackOverruns == 0 || st.Overruns < st.PlaybackOverruns {
		t.Fatalf("1 s burst into a 200 ms ring: no overrun counted: %+v", st)
	}
}

func TestCloseTwice(t *testing.T) {
	s := openNull(t, audio.Mono8k)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// After Close the counters stop moving and Sink/Source do not crash.
	frames := s.Stats().PlayedFrames
	s.Sink().Write(make([]int16, 160))
	s.Source().Read(make([]int16, 160))
	if got := s.Stats().PlayedFrames; got != frames {
		t.Fatalf("callback still running after Close (%d -> %d)", frames, got)
	}
}

func TestListNull(t *testing.T) {
	capture, playback, err := List(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(capture) == 0 || len(playback) == 0 {
		t.Fatalf("null backend listed %d capture, %d playback devices", len(capture), len(playback))
	}
	for _, d := range capture {
		if !d.Capture || d.ID == "" || d.Name == "" {
			t.Fatalf("bad capture info %+v", d)
		}
	}
	for _, d := range playback {
		if d.Capture || d.ID == "" {
			t.Fatalf("bad playback info %+v", d)
		}
	}
	// IDs are stable: a second listing gives the same ones, and they open.
	c2, p2, err := List(context.Background(), true)
	if err != nil || c2[0].ID != capture[0].ID || p2[0].ID != playback[0].ID {
		t.Fatalf("IDs changed between listings: %v %v / %v %v", capture[0], c2, playback[0], p2)
	}
	s, err := Open(context.Background(), Config{
		CaptureID: capture[0].ID, PlaybackID: playback[0].ID, Format: audio.Mono8k, Null: true,
	})
	if err != nil {
		t.Fatalf("open by listed IDs: %v", err)
	}
	waitFor(t, 5*time.Second, "callback", func() bool { return s.Stats().PlayedFrames > 0 })
	s.Close()
}

func TestOpenErrorsAreClear(t *testing.T) {
	_, err := Open(context.Background(), Config{CaptureID: "deadbeef", Format: audio.Mono8k, Null: true})
	if !errors.Is(err, ErrNoDevice) || err.Error() != `no audio device: capture device "deadbeef" not found` {
		t.Fatalf("unknown ID: %v", err)
	}
	if _, err := Open(context.Background(), Config{Format: audio.Format{Rate: 8000, Channels: 6}, Null: true}); err == nil {
		t.Fatal("6 channels accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Open(ctx, Config{Format: audio.Mono8k, Null: true}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
}

func TestCallbackDoesNotAllocate(t *testing.T) {
	s := openNull(t, audio.Mono8k)
	defer s.Close()
	in := make([]byte, 320)
	out := make([]byte, 320)
	if a := testing.AllocsPerRun(100, func() { s.onData(out, in, 160) }); a != 0 {
		t.Fatalf("data callback allocates %v times per call", a)
	}
}

// On machines without a sound card the real backend must fail with a clear
// error, never panic; where a device exists it must open and close.
func TestDefaultBackendFailsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("touches the real audio backend")
	}
	s, err := Open(context.Background(), Config{Format: audio.Mono8k})
	if err != nil {
		if !errors.Is(err, ErrNoDevice) || len(err.Error()) <= len("no audio device: ") {
			t.Fatalf("error without ErrNoDevice or reason: %v", err)
		}
		t.Logf("no real device (expected on CI): %v", err)
		return
	}
	t.Logf("real device opened")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestMicDropsStaleAudio: audio captured while nobody reads (between
// calls) is not delivered late: after an idle half second a read leaves at
// most the slack in the ring, and the skipped samples are counted.
func TestMicDropsStaleAudio(t *testing.T) {
	s := openNull(t, audio.Mono48k)
	defer s.Close()
	f := audio.Mono48k
	waitFor(t, 5*time.Second, "the idle mic ring to fill", func() bool { return s.capRing.Len() >= f.SamplesPer(150) })
	p := make([]int16, f.SamplesPer(20))
	s.Source().Read(p)
	if left := s.capRing.Len(); left > f.SamplesPer(captureSlackMs+10) {
		t.Fatalf("%d samples (%d ms) still queued after a read", left, left*1000/f.Rate)
	}
	if s.Stats().CaptureTrimmed == 0 {
		t.Fatal("stale samples were not counted")
	}
}
