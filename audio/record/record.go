// Package record writes a call to a stereo WAV file: what we send (the
// microphone after mute) on the left channel, what we play (the far end) on
// the right, both at the codec's rate.
//
// The media loops hand frames to Local and Remote, which only copy them into
// two lock-free rings (audio/ring) and never block, allocate or touch the
// disk. A goroutine owned by the Recorder pairs the two rings frame by frame
// and streams them to the file; if the disk is too slow the rings overflow
// and the lost samples are counted (Dropped) instead of stalling the call.
package record

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/audio"
	"switchboard/audio/ring"
	"switchboard/audio/wavfile"
)

const (
	maxRate = 48000
	// ringMs is how much of each direction may wait for the writer: long
	// enough to ride out a slow disk for a moment.
	ringMs = 2000
	// lagMs is how far the writer stays behind the newer direction so that
	// the two 20 ms loops, which tick independently, pair up frame by frame.
	lagMs = 60
	// chunkMs is how much the writer interleaves at a time.
	chunkMs = 20
	// skewMs bounds how far one direction may run ahead of the other before
	// the excess is dropped (one side stopped writing, e.g. on hold).
	skewMs = 200
)

// ErrFormat is counted, not returned: frames whose format differs from the
// first frame's (or that are not mono) are dropped.
var ErrFormat = errors.New("record: frame format differs from the recording's")

// Recorder records one call. Create it with Create; Local and Remote may be
// called from one goroutine each (the send and the playout loop) until
// Close, and are no-ops afterwards.
type Recorder struct {
	path   string
	left   *ring.Buffer // local: written by the send loop
	right  *ring.Buffer // remote: written by the playout loop
	format atomic.Uint64
	closed atomic.Bool
	lost   atomic.Uint64 // samples dropped for a wrong format
	frames atomic.Uint64 // stereo frames written to the file

	wake      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	err       error
}

// Create starts a recording into path, which must not exist yet (the error
// then wraps fs.ErrExist); missing directories are created. The WAV header
// is written when the first frame tells the rate; a recording that never
// gets a frame is an empty 8 kHz stereo WAV.
func Create(path string) (*Recorder, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	f.Close()
	n := maxRate * ringMs / 1000
	r := &Recorder{path: path, left: ring.New(n), right: ring.New(n),
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	go r.run()
	return r, nil
}

// Path returns the file being written.
func (r *Recorder) Path() string { return r.path }

// Local records a frame we send (left channel). It never blocks.
func (r *Recorder) Local(p []int16, f audio.Format) { r.put(r.left, p, f) }

// Remote records a frame we play (right channel). It never blocks.
func (r *Recorder) Remote(p []int16, f audio.Format) { r.put(r.right, p, f) }

func (r *Recorder) put(b *ring.Buffer, p []int16, f audio.Format) {
	if r.closed.Load() || len(p) == 0 {
		return
	}
	key := uint64(f.Rate)<<8 | uint64(f.Channels)
	if f.Channels != 1 || f.Rate <= 0 || f.Rate > maxRate ||
		(!r.format.CompareAndSwap(0, key) && r.format.Load() != key) {
		r.lost.Add(uint64(len(p)))
		return
	}
	b.Write(p)
}

// Dropped returns how many samples (either direction) were lost: the
// writer fell behind, or a frame had the wrong format.
func (r *Recorder) Dropped() uint64 {
	return r.lost.Load() + r.left.Overruns() + r.right.Overruns()
}

// Duration returns how much audio has been written to the file so far.
func (r *Recorder) Duration() time.Duration {
	rate := int(r.format.Load() >> 8)
	if rate == 0 {
		return 0
	}
	return time.Duration(r.frames.Load()) * time.Second / time.Duration(rate)
}

// Close stops recording, writes what is still queued and finishes the file
// (its header gets the final sizes). It waits for the disk; call it off
// any real-time path. Later calls return the first call's result.
func (r *Recorder) Close() error {
	r.closeOnce.Do(func() {
		r.closed.Store(true)
		select {
		case r.wake <- struct{}{}:
		default:
		}
	})
	<-r.done
	return r.err
}

// run is the writer goroutine: it owns the file.
func (r *Recorder) run() {
	defer close(r.done)
	var w *wavfile.Sink
	var chunk, lag, skew int
	var mono [2][]int16
	var stereo []int16
	tick := time.NewTicker(chunkMs * time.Millisecond)
	defer tick.Stop()
	fail := func(err error) {
		if r.err == nil {
			r.err = err
		}
	}
	// emit pairs n samples of each side (padding the shorter with silence).
	emit := func(n int) {
		r.left.ReadFull(mono[0][:n])
		r.right.ReadFull(mono[1][:n])
		s := stereo[:2*n]
		for i := range n {
			s[2*i], s[2*i+1] = mono[0][i], mono[1][i]
		}
		if r.err == nil {
			if _, err := w.Write(s); err != nil {
				fail(err)
			}
		}
		r.frames.Add(uint64(n))
	}
	for {
		closing := false
		select {
		case <-tick.C:
		case <-r.wake:
			closing = r.closed.Load()
		}
		if w == nil && r.format.Load() != 0 {
			rate := int(r.format.Load() >> 8)
			var err error
			if w, err = wavfile.Create(r.path, audio.Format{Rate: rate, Channels: 2}); err != nil {
				fail(err)
				// Keep draining so producers see no difference.
				w = nil
				r.left.Discard(r.left.Len())
				r.right.Discard(r.right.Len())
				if closing {
					return
				}
				continue
			}
			chunk, lag, skew = rate*chunkMs/1000, rate*lagMs/1000, rate*skewMs/1000
			mono = [2][]int16{make([]int16, chunk), make([]int16, chunk)}
			stereo = make([]int16, 2*chunk)
		}
		if w != nil {
			for {
				a, b := r.left.Len(), r.right.Len()
				// One side far ahead (the other stopped): drop its excess.
				if a > b+skew+lag {
					r.left.Discard(a - b - skew)
				} else if b > a+skew+lag {
					r.right.Discard(b - a - skew)
				}
				a, b = r.left.Len(), r.right.Len()
				if max(a, b) >= lag+chunk {
					emit(chunk)
					continue
				}
				if closing && max(a, b) > 0 {
					emit(min(chunk, max(a, b)))
					continue
				}
				break
			}
		}
		if closing {
			if w == nil && r.err == nil {
				var err error
				if w, err = wavfile.Create(r.path, audio.Format{Rate: 8000, Channels: 2}); err != nil {
					fail(err)
					return
				}
			}
			if w != nil {
				if err := w.Close(); err != nil {
					fail(err)
				}
			}
			if r.err != nil {
				r.err = fmt.Errorf("record %s: %w", r.path, r.err)
			}
			return
		}
	}
}
