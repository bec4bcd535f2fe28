package mix

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/audio"
	"switchboard/audio/resample"
	"switchboard/audio/ring"
)

// FrameDuration is the bridge's mixing period.
const FrameDuration = 20 * time.Millisecond

// MaxBurst bounds how many frames one tick of the bridge clock may make up
// after the process was starved; after a longer stall the clock skips ahead.
const MaxBurst = 5

// DefaultMaxDelay is how much audio may queue in either direction of a leg
// before the oldest is dropped.
const DefaultMaxDelay = 60 * time.Millisecond

// Errors returned by the bridge.
var (
	// ErrClosed: the bridge was closed or its context ended.
	ErrClosed = errors.New("mix: bridge closed")
	// ErrDuplicate: Join with the id of a leg that is still joined.
	ErrDuplicate = errors.New("mix: leg already joined")
	// ErrNotManual: Step on a bridge that runs its own clock.
	ErrNotManual = errors.New("mix: Step needs WithManualClock")
	// ErrFormat: New with a format the bridge cannot frame in 20 ms.
	ErrFormat = errors.New("mix: unsupported format")
)

// Option configures a Bridge.
type Option func(*config)

type config struct {
	manual   bool
	maxDelay time.Duration
}

// WithManualClock makes New start no goroutine: the caller mixes each frame
// by calling Step (tests, offline rendering).
func WithManualClock() Option { return func(c *config) { c.manual = true } }

// WithMaxDelay sets how much audio may queue per leg and direction before
// the oldest is dropped (rounded up to whole frames, at least two frames so
// a one-frame jitter cushion fits). The default is DefaultMaxDelay.
func WithMaxDelay(d time.Duration) Option { return func(c *config) { c.maxDelay = d } }

// Bridge is a running local conference. Create it with New.
type Bridge struct {
	f        audio.Format
	frame    int // samples (all channels) per 20 ms
	maxQueue int // samples a leg's ring may hold before trimming
	manual   bool

	mic     audio.Source
	speaker audio.Sink

	// Owned by the mixing goroutine (or the Step caller).
	acc    []int32
	micBuf []int16
	outBuf []int16
	micEOF bool

	mu    sync.Mutex // serialises Join/Leave/Close (writers of legs)
	legs  atomic.Pointer[[]*leg]
	stepM sync.Mutex // serialises Step calls

	frames  atomic.Uint64
	skipped atomic.Uint64
	micErrs atomic.Uint64
	spkErrs atomic.Uint64

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	closed atomic.Bool
}

// New starts a bridge mixing in format f. mic is read once per frame and
// speaker written once per frame; either may be nil (silence, discard) and
// either may have another format than f (it is converted with
// audio/resample). A microphone that ends (io.EOF) is silence from then
// on. A rate that is not a multiple of 50 Hz gives ErrFormat. Unless
// WithManualClock is given, New starts the mixing goroutine, which runs
// until ctx ends or Close is called.
func New(ctx context.Context, f audio.Format, mic audio.Source, speaker audio.Sink, opts ...Option) (*Bridge, error) {
	if f.Rate <= 0 || f.Channels <= 0 || f.Rate%50 != 0 {
		return nil, fmt.Errorf("%w: %+v (rate must be a positive multiple of 50 Hz)", ErrFormat, f)
	}
	cfg := config{maxDelay: DefaultMaxDelay}
	for _, o := range opts {
		o(&cfg)
	}
	frame := f.SamplesPer(int(FrameDuration / time.Millisecond))
	frames := max(2, int((cfg.maxDelay+FrameDuration-1)/FrameDuration))
	if mic == nil {
		mic = audio.Silence{F: f}
	}
	if speaker == nil {
		speaker = audio.Discard{F: f}
	}
	b := &Bridge{
		f:        f,
		frame:    frame,
		maxQueue: frames * frame,
		manual:   cfg.manual,
		mic:      resample.NewSource(mic, f),
		speaker:  resample.NewSink(speaker, f),
		acc:      make([]int32, frame),
		micBuf:   make([]int16, frame),
		outBuf:   make([]int16, frame),
		done:     make(chan struct{}),
	}
	b.legs.Store(new([]*leg))
	b.ctx, b.cancel = context.WithCancel(ctx)
	if cfg.manual {
		close(b.done)
		context.AfterFunc(b.ctx, b.shutdown) // honour ctx in manual mode too
	} else {
		go b.run()
	}
	return b, nil
}

// Format returns the bridge's internal format, which every leg's Source and
// Sink report.
func (b *Bridge) Format() audio.Format { return b.f }

// Close stops the bridge and waits for its goroutine to end. Every leg's
// Source then gives silence and its Sink discards. Close is idempotent.
func (b *Bridge) Close() error {
	b.cancel()
	<-b.done
	b.shutdown()
	b.stepM.Lock() // let a concurrent Step finish
	b.stepM.Unlock()
	return nil
}

// shutdown detaches every leg once the bridge has stopped.
func (b *Bridge) shutdown() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed.Swap(true) {
		return
	}
	for _, l := range *b.legs.Load() {
		l.gone.Store(true)
	}
	b.legs.Store(new([]*leg))
}

// Join adds a call leg called id and returns the pair to give that call:
// src is what the call sends (the microphone plus every other leg), sink is
// where the call writes what it received. Both are in the bridge's format.
// A left id may join again (it gets a fresh pair).
func (b *Bridge) Join(id string) (src audio.Source, sink audio.Sink, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed.Load() || b.ctx.Err() != nil {
		return nil, nil, ErrClosed
	}
	old := *b.legs.Load()
	for _, l := range old {
		if l.id == id {
			return nil, nil, fmt.Errorf("%w: %q", ErrDuplicate, id)
		}
	}
	// Room for the maximum delay, one more frame in flight and a generous
	// write (a session may write up to 60 ms at once after a stall).
	capacity := b.maxQueue + 4*b.frame
	l := &leg{
		id:       id,
		f:        b.f,
		frame:    b.frame,
		maxQueue: b.maxQueue,
		in:       ring.New(capacity),
		out:      ring.New(capacity),
		inBuf:    make([]int16, b.frame),
	}
	legs := make([]*leg, len(old), len(old)+1)
	copy(legs, old)
	legs = append(legs, l)
	b.legs.Store(&legs)
	return (*legSource)(l), (*legSink)(l), nil
}

// Leave removes leg id from the conference and reports whether it was
// there. The leg's Source then gives silence and its Sink discards; the
// other parties stop hearing it from the next frame.
func (b *Bridge) Leave(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	old := *b.legs.Load()
	for i, l := range old {
		if l.id == id {
			legs := make([]*leg, 0, len(old)-1)
			legs = append(legs, old[:i]...)
			legs = append(legs, old[i+1:]...)
			b.legs.Store(&legs)
			l.gone.Store(true)
			return true
		}
	}
	return false
}

// Legs returns the ids of the joined legs in joining order.
func (b *Bridge) Legs() []string {
	legs := *b.legs.Load()
	ids := make([]string, len(legs))
	for i, l := range legs {
		ids[i] = l.id
	}
	return ids
}

// Step mixes one frame now. It is only for bridges made WithManualClock
// (ErrNotManual otherwise) and returns ErrClosed once the bridge is closed.
func (b *Bridge) Step() error {
	if !b.manual {
		return ErrNotManual
	}
	if b.ctx.Err() != nil {
		b.shutdown() // idempotent; AfterFunc may not have run yet
		return ErrClosed
	}
	b.stepM.Lock()
	b.mix()
	b.stepM.Unlock()
	return nil
}

// run is the mixing goroutine: one frame per 20 ms of wall-clock time.
func (b *Bridge) run() {
	defer close(b.done)
	defer b.shutdown() // runs first: legs go silent even if only ctx ended
	tick := time.NewTicker(FrameDuration)
	defer tick.Stop()
	clk := frameClock{start: time.Now()}
	for {
		select {
		case <-b.ctx.Done():
			return
		case now := <-tick.C:
			n, skipped := clk.due(now)
			if skipped > 0 {
				b.skipped.Add(uint64(skipped))
			}
			for range n {
				b.mix()
			}
		}
	}
}

// frameClock counts frames against the wall clock since start.
type frameClock struct {
	start time.Time
	done  int64
}

// due returns how many frames to mix at now (usually 1, more after a stall,
// 0 if the tick came early) and how many were skipped beyond MaxBurst.
func (c *frameClock) due(now time.Time) (n, skipped int) {
	want := int64((now.Sub(c.start) + FrameDuration/2) / FrameDuration)
	d := want - c.done
	if d > MaxBurst {
		skipped = int(d - MaxBurst)
		d = MaxBurst
		c.done = want - MaxBurst
	}
	if d < 0 {
		d = 0
	}
	c.done += d
	return int(d), skipped
}

// mix produces one frame: reads the mic and each leg, writes the speaker and
// each leg's outgoing ring. It must not allocate.
func (b *Bridge) mix() {
	legs := *b.legs.Load()
	mic := b.micBuf
	acc, out := b.acc[:len(mic)], b.outBuf[:len(mic)]

	n := 0
	if !b.micEOF {
		var err error
		n, err = b.mic.Read(mic)
		if err != nil {
			if err == io.EOF {
				b.micEOF = true
			} else {
				b.micErrs.Add(1)
			}
			n = max(0, n)
		}
	}
	clear(mic[min(n, len(mic)):])
	for i, v := range mic {
		acc[i] = int32(v)
	}

	for _, l := range legs {
		l.pull()
		in := l.inBuf[:len(acc)] // same length: lets the compiler drop bounds checks
		for i, v := range in {
			acc[i] += int32(v)
		}
	}

	// Speaker: every leg, not the local microphone.
	mixMinus(out, acc, mic)
	if _, err := b.speaker.Write(out); err != nil {
		b.spkErrs.Add(1) // a failing device must not stop the conference
	}

	// Each leg: everything but itself.
	for _, l := range legs {
		mixMinus(out, acc, l.inBuf)
		l.out.Write(out) // overflow is counted by the ring
	}
	b.frames.Add(1)
}

// mixMinus sets out to total minus own, saturated to the int16 range (hard
// clip: a sum beyond full scale is held at full scale, never wrapped). All
// three slices have the same length.
func mixMinus(out []int16, total []int32, own []int16) {
	total, own = total[:len(out)], own[:len(out)]
	for i := range out {
		out[i] = int16(min(32767, max(-32768, total[i]-int32(own[i]))))
	}
}

// Stats is a snapshot of the bridge's counters.
type Stats struct {
	Frames    uint64     // frames mixed
	Skipped   uint64     // frames skipped after stalls longer than MaxBurst frames
	MicErrors uint64     // microphone reads that failed (mixed as silence)
	SpkErrors uint64     // speaker writes that failed (the frame is lost)
	Legs      []LegStats // joined legs, in joining order
}

// LegStats are one leg's counters. Sample counts include all channels.
type LegStats struct {
	ID string
	// Receive direction (the call's Sink into the bridge).
	Mixed     uint64        // frames of the leg's audio mixed
	Underruns uint64        // frames mixed as silence because no whole frame was waiting
	Dropped   uint64        // samples of the leg's audio dropped (ring full or delay trimmed)
	RecvDelay time.Duration // audio waiting to be mixed now
	// Send direction (the bridge into the call's Source).
	SendUnderruns uint64        // samples the call read as silence because the mix was not ready
	SendDropped   uint64        // samples of mix dropped (call read too slowly or not at all)
	SendDelay     time.Duration // mix waiting to be read now
}

// Stats returns the bridge's counters.
func (b *Bridge) Stats() Stats {
	legs := *b.legs.Load()
	s := Stats{
		Frames:    b.frames.Load(),
		Skipped:   b.skipped.Load(),
		MicErrors: b.micErrs.Load(),
		SpkErrors: b.spkErrs.Load(),
		Legs:      make([]LegStats, len(legs)),
	}
	for i, l := range legs {
		s.Legs[i] = l.stats()
	}
	return s
}

// LegStats returns the counters of leg id and whether it is joined.
func (b *Bridge) LegStats(id string) (LegStats, bool) {
	for _, l := range *b.legs.Load() {
		if l.id == id {
			return l.stats(), true
		}
	}
	return LegStats{}, false
}
