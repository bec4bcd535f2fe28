// Package ring is a preallocated, lock-free single-producer single-consumer
// ring buffer of int16 samples. It sits between a real-time audio callback
// and ordinary goroutines: Write and Read never allocate, never block and
// never take a lock, so either side may run on a device thread.
//
// Exactly one goroutine (or thread) may call Write and exactly one may call
// Read/ReadFull/Discard; the counters and Len/Free may be read from anywhere.
// For interleaved audio keep every Write and Read a whole number of frames
// and the capacity a multiple of the channel count (New rounds it up to a
// power of two, so any mono or stereo stream stays frame-aligned).
package ring

import "sync/atomic"

// cacheLine separates the producer's and consumer's hot counters so the two
// sides do not false-share a cache line.
type cacheLine [64]byte

// Buffer is an SPSC ring of int16. The zero value is unusable; call New.
type Buffer struct {
	buf  []int16
	mask uint64

	_ cacheLine
	w atomic.Uint64 // total samples ever written (producer-owned)
	_ cacheLine
	r atomic.Uint64 // total samples ever read (consumer-owned)
	_ cacheLine

	overruns  atomic.Uint64
	underruns atomic.Uint64
}

// New returns a Buffer holding at least capacity samples (rounded up to a
// power of two, minimum 2).
func New(capacity int) *Buffer {
	n := 2
	for n < capacity {
		n <<= 1
	}
	return &Buffer{buf: make([]int16, n), mask: uint64(n - 1)}
}

// Cap returns how many samples the buffer holds when full.
func (b *Buffer) Cap() int { return len(b.buf) }

// Len returns how many samples are waiting to be read.
func (b *Buffer) Len() int { return int(b.w.Load() - b.r.Load()) }

// Free returns how many samples can be written before the buffer is full.
func (b *Buffer) Free() int { return len(b.buf) - b.Len() }

// Write copies as much of p as fits and returns that count. Samples that do
// not fit are dropped (newest first) and added to Overruns. Producer only.
func (b *Buffer) Write(p []int16) int {
	w := b.w.Load()
	free := len(b.buf) - int(w-b.r.Load())
	n := min(len(p), free)
	if n < len(p) {
		b.overruns.Add(uint64(len(p) - n))
	}
	if n == 0 {
		return 0
	}
	start := int(w & b.mask)
	c := copy(b.buf[start:], p[:n])
	copy(b.buf, p[c:n])
	b.w.Store(w + uint64(n)) // publish after the data is in place
	return n
}

// Read copies up to len(p) waiting samples into p and returns the count.
// A short read (fewer samples waiting than len(p)) adds the shortfall to
// Underruns; the rest of p is left untouched. Consumer only.
func (b *Buffer) Read(p []int16) int {
	n := b.take(p)
	if n < len(p) {
		b.underruns.Add(uint64(len(p) - n))
	}
	return n
}

// ReadFull fills all of p: waiting samples first, then silence (zeros) for
// any shortfall, which is added to Underruns. It returns how many real
// samples were read. Consumer only.
func (b *Buffer) ReadFull(p []int16) int {
	n := b.Read(p)
	clear(p[n:])
	return n
}

// Discard drops up to n waiting samples without copying them and returns
// how many were dropped (for trimming latency). Consumer only.
func (b *Buffer) Discard(n int) int {
	r := b.r.Load()
	n = min(n, int(b.w.Load()-r))
	if n > 0 {
		b.r.Store(r + uint64(n))
	}
	return n
}

func (b *Buffer) take(p []int16) int {
	r := b.r.Load()
	n := min(len(p), int(b.w.Load()-r))
	if n == 0 {
		return 0
	}
	start := int(r & b.mask)
	c := copy(p[:n], b.buf[start:])
	copy(p[c:n], b.buf)
	b.r.Store(r + uint64(n)) // release the space after copying out
	return n
}

// Overruns returns the number of samples dropped by Write because the
// buffer was full.
func (b *Buffer) Overruns() uint64 { return b.overruns.Load() }

// Underruns returns the number of samples Read or ReadFull could not supply.
func (b *Buffer) Underruns() uint64 { return b.underruns.Load() }

// Written returns the total number of samples ever accepted by Write.
func (b *Buffer) Written() uint64 { return b.w.Load() }

// Consumed returns the total number of samples ever taken by Read,
// ReadFull or Discard.
func (b *Buffer) Consumed() uint64 { return b.r.Load() }
