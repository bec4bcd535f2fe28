package mix_test

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"switchboard/audio"
	"switchboard/audio/mix"
	"switchboard/audio/tone"
)

// TestRealTime runs the bridge on its own wall clock with two calls, each a
// goroutine on its own 20 ms ticker as a session's send and playout loops
// are, and checks what each side hears once the clocks have settled.
func TestRealTime(t *testing.T) {
	if testing.Short() {
		t.Skip("real-time test")
	}
	f := audio.Mono16k
	frame := f.SamplesPer(20)
	speaker := &capture{f: f}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b, err := mix.New(ctx, f, tone.NewSine(f, micHz, level), speaker)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	const frames = 100 // 2 s
	ids := []string{"A", "B"}
	hz := []float64{aHz, bHz}
	calls := make([]*call, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		src, sink, err := b.Join(id)
		if err != nil {
			t.Fatal(err)
		}
		c := newCall(f, src, sink, hz[i])
		calls[i] = c
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for range frames {
				select {
				case <-tick.C:
				case <-ctx.Done():
					return
				}
				c.receive(t, frame)
				c.send(t, frame)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for waiting := true; waiting; {
		select {
		case <-done:
			waiting = false
		case <-time.After(20 * time.Second):
			cancel()
			t.Fatal("calls did not finish 2 s of audio within 20 s")
		case <-time.After(100 * time.Millisecond):
			b.Stats() // read counters while everything runs (for -race)
			b.Legs()
		}
	}
	st := b.Stats()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	for _, s := range st.Legs {
		t.Logf("%+v", s)
	}
	t.Logf("bridge frames %d, skipped %d", st.Frames, st.Skipped)

	// Each side: the first 200 ms stretch in which every frame carries all
	// the parties it should (scheduling jitter may pad a frame with silence
	// now and then, which is counted, not a fault).
	check := func(what string, s []int16, present, absent []float64) {
		t.Helper()
		wantDB := 20 * math.Log10(level*math.Sqrt(float64(len(present))/2))
		const run = 10
		good := 0
		for i := 0; i+frame <= len(s); i += frame {
			if math.Abs(audio.DBFS(audio.RMS(s[i:i+frame]))-wantDB) < 0.5 {
				good++
			} else {
				good = 0
			}
			if good == run {
				iso := want(t, what, s[i+frame-run*frame:i+frame], f.Rate, present, absent)
				t.Logf("%s: isolation %.1f dB (window ending at frame %d)", what, iso, i/frame)
				return
			}
		}
		t.Errorf("%s: no %d consecutive complete frames in %d", what, run, len(s)/frame)
	}
	check("leg A sends", calls[0].sent, []float64{micHz, bHz}, []float64{aHz})
	check("leg B sends", calls[1].sent, []float64{micHz, aHz}, []float64{bHz})
	check("speaker", speaker.samples(), []float64{aHz, bHz}, []float64{micHz})
}
