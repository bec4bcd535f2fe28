package media

import "switchboard/audio/plc"

// FrameStatus says what JitterBuffer.Pop produced.
type FrameStatus int

const (
	// FrameBuffering: playout has not started (or restarted after a long
	// gap); the buffer is filling to its target. Play nothing or silence.
	FrameBuffering FrameStatus = iota
	// FrameOK: Payload holds the frame due now.
	FrameOK
	// FrameLost: the frame due now is missing (lost, or not yet arrived and
	// now too late); conceal it.
	FrameLost
)

// String names the status.
func (s FrameStatus) String() string {
	switch s {
	case FrameBuffering:
		return "buffering"
	case FrameOK:
		return "ok"
	case FrameLost:
		return "lost"
	}
	return "unknown"
}

// Frame is one playout slot from JitterBuffer.Pop.
type Frame struct {
	Status      FrameStatus
	Timestamp   uint32 // RTP timestamp of the slot
	PayloadType uint8  // valid when Status == FrameOK
	// Payload is the encoded frame (FrameOK only). It is owned by the buffer
	// and valid until the next call on it.
	Payload []byte
	// Inserted marks a FrameLost slot the adaptive buffer added to grow its
	// delay: nothing is missing, so conceal it without FEC from the next
	// frame (which belongs after it).
	Inserted bool
}

// JitterStats counts what a JitterBuffer did.
type JitterStats struct {
	Pushed    uint64 // packets accepted
	Played    uint64 // frames handed out
	Lost      uint64 // slots with no frame (concealed)
	Late      uint64 // packets that arrived after their slot was played
	Duplicate uint64 // packets whose timestamp was already buffered
	Dropped   uint64 // frames discarded to bound the delay (overflow, drift)
	Resyncs   uint64 // restarts after a timestamp jump or a long silence
	Grown     uint64 // times the adaptive target grew by a frame (late packets)
	Shrunk    uint64 // times the adaptive target shrank by a frame (stable arrival)
	// TargetFrames is the current playout delay target in frames (fixed,
	// or where the adaptive buffer currently is).
	TargetFrames int
}

// JitterBuffer reorders RTP audio frames by timestamp and releases one frame
// per Pop, a fixed target delay behind the first packet. It is a simple
// fixed-delay buffer for constant-ptime audio: packets are keyed by RTP
// timestamp (so duplicates collapse and reordering is undone), packets older
// than the playout point are dropped as late, missing frames are reported as
// FrameLost for the caller to conceal, and the delay is capped at target+3
// frames so clock drift or bursts cannot make it grow without bound.
//
// It is not safe for concurrent use; the Session guards it with its lock.
type JitterBuffer struct {
	tsPerFrame uint32
	target     int
	slots      []jbSlot
	count      int
	started    bool
	next       uint32 // timestamp of the next frame to play
	misses     int    // consecutive pops that found nothing buffered at all
	stats      JitterStats

	// Adaptive mode (NewAdaptiveJitterBuffer): target moves between
	// minTarget and maxTarget.
	adaptive             bool
	minTarget, maxTarget int
	stretch              int // frames of delay still to insert after growing
	stable               int // pops since the last late packet
}

type jbSlot struct {
	used bool
	ts   uint32
	pt   uint8
	data []byte
}

const (
	// jbMaxIdle: after this many empty pops in a row (no packets at all)
	// playout stops and re-buffers, so a resumed stream gets its delay back.
	jbMaxIdle = 10
	// jbResyncFrames: a packet this many frames away from the playout point
	// is a new timeline (sender restarted, long hold), not jitter.
	jbResyncFrames = 50
	// JitterShrinkAfter is how many frames (20 ms each: 5 s) of arrival
	// without a late packet the adaptive buffer waits before it lowers its
	// delay by one frame.
	JitterShrinkAfter = 250
)

// NewJitterBuffer returns a buffer for frames tsPerFrame timestamp units
// long (160 for 20 ms at 8 kHz) that starts playing once target frames are
// buffered (target 3 = 60 ms). capacity bounds how many frames it holds
// (minimum target+4).
func NewJitterBuffer(tsPerFrame uint32, target, capacity int) *JitterBuffer {
	target = max(1, target)
	capacity = max(capacity, target+4)
	return &JitterBuffer{tsPerFrame: max(1, tsPerFrame), target: target, slots: make([]jbSlot, capacity)}
}

// NewAdaptiveJitterBuffer returns a buffer whose delay adapts to the
// network: it starts at minTarget frames, grows by one frame (up to
// maxTarget) for every packet that arrives after its slot was played, and
// shrinks by one frame after JitterShrinkAfter frames without a late packet.
// Growing inserts one concealed frame; shrinking skips one frame.
func NewAdaptiveJitterBuffer(tsPerFrame uint32, minTarget, maxTarget, capacity int) *JitterBuffer {
	minTarget = max(1, minTarget)
	maxTarget = max(minTarget, maxTarget)
	j := NewJitterBuffer(tsPerFrame, minTarget, max(capacity, maxTarget+4))
	j.adaptive, j.minTarget, j.maxTarget = true, minTarget, maxTarget
	return j
}

// Target is the current playout delay target in frames.
func (j *JitterBuffer) Target() int { return j.target }

// Reset empties the buffer and returns it to the buffering state.
func (j *JitterBuffer) Reset() {
	for i := range j.slots {
		j.slots[i].used = false
	}
	j.count, j.started, j.misses, j.stretch, j.stable = 0, false, 0, 0, 0
}

// Len is the number of frames buffered.
func (j *JitterBuffer) Len() int { return j.count }

// Stats returns the counters.
func (j *JitterBuffer) Stats() JitterStats {
	st := j.stats
	st.TargetFrames = j.target
	return st
}

// Push stores a copy of one packet's payload. It returns false when the
// packet was dropped (late, duplicate).
func (j *JitterBuffer) Push(ts uint32, pt uint8, payload []byte) bool {
	window := int64(len(j.slots)) * int64(j.tsPerFrame)
	if j.started {
		d := int64(int32(ts - j.next))
		switch {
		case d < -jbResyncFrames*int64(j.tsPerFrame) || d >= jbResyncFrames*int64(j.tsPerFrame):
			j.Reset()
			j.stats.Resyncs++
		case d < 0:
			j.stats.Late++
			j.late()
			return false
		case d >= window:
			// Too far ahead for the buffer: skip the playout point forward.
			j.next = ts - uint32(len(j.slots)-1)*j.tsPerFrame
			j.dropBefore(j.next)
		}
	} else if j.count > 0 {
		d := int64(int32(ts - j.oldest()))
		switch {
		case d < -jbResyncFrames*int64(j.tsPerFrame) || d >= jbResyncFrames*int64(j.tsPerFrame):
			j.Reset() // while buffering: a new timeline replaces the old
			j.stats.Resyncs++
		case d >= window:
			j.dropBefore(ts - uint32(len(j.slots)-1)*j.tsPerFrame)
		}
	}
	free := -1
	for i := range j.slots {
		s := &j.slots[i]
		if !s.used {
			if free < 0 {
				free = i
			}
			continue
		}
		if s.ts == ts {
			j.stats.Duplicate++
			return false
		}
	}
	if free < 0 { // full while buffering: drop the oldest
		o := j.oldest()
		for i := range j.slots {
			if j.slots[i].used && j.slots[i].ts == o {
				if !j.started && int32(ts-o) < 0 {
					j.stats.Dropped++
					return false // the new one is the oldest
				}
				j.slots[i].used = false
				j.count--
				j.stats.Dropped++
				free = i
				break
			}
		}
	}
	s := &j.slots[free]
	s.used, s.ts, s.pt = true, ts, pt
	s.data = append(s.data[:0], payload...)
	j.count++
	j.misses = 0
	j.stats.Pushed++
	return true
}

// Pop returns the frame due now and advances the playout point by one frame.
// Call it once per frame period.
func (j *JitterBuffer) Pop() Frame {
	if !j.started {
		if j.count < j.target {
			return Frame{Status: FrameBuffering}
		}
		j.started = true
		j.next = j.oldest()
		j.misses = 0
	}
	// Bound the delay: if far more than the target is queued, skip a frame.
	if j.count > j.target+3 {
		if i := j.slotAt(j.next); i >= 0 {
			j.slots[i].used = false
			j.count--
		}
		j.stats.Dropped++
		j.next += j.tsPerFrame
	}
	if j.adaptive {
		if j.stretch > 0 {
			// Grow the delay: play one concealed frame, keep the point.
			j.stretch--
			j.stats.Lost++
			return Frame{Status: FrameLost, Timestamp: j.next - j.tsPerFrame, Inserted: true}
		}
		j.stable++
		if j.stable >= JitterShrinkAfter && j.target > j.minTarget {
			j.stable = 0
			j.target--
			j.stats.Shrunk++
			if j.count > j.target {
				// Shrink the delay: skip the frame due now.
				if i := j.slotAt(j.next); i >= 0 {
					j.slots[i].used = false
					j.count--
				}
				j.stats.Dropped++
				j.next += j.tsPerFrame
			}
		}
	}
	ts := j.next
	j.next += j.tsPerFrame
	if i := j.slotAt(ts); i >= 0 {
		s := &j.slots[i]
		s.used = false
		j.count--
		j.misses = 0
		j.stats.Played++
		return Frame{Status: FrameOK, Timestamp: ts, PayloadType: s.pt, Payload: s.data}
	}
	j.stats.Lost++
	if j.count == 0 {
		j.misses++
		if j.misses >= jbMaxIdle {
			j.started = false
			j.misses = 0
		}
	}
	return Frame{Status: FrameLost, Timestamp: ts}
}

// late records a packet that missed its slot: the adaptive buffer grows.
func (j *JitterBuffer) late() {
	if !j.adaptive {
		return
	}
	j.stable = 0
	if j.target < j.maxTarget {
		j.target++
		j.stretch++
		j.stats.Grown++
	}
}

// Peek returns the buffered frame at timestamp ts without removing it
// (for decoders that recover a lost frame from the next one, Opus FEC).
// Its Payload is owned by the buffer and valid until the next call on it.
func (j *JitterBuffer) Peek(ts uint32) (Frame, bool) {
	if i := j.slotAt(ts); i >= 0 {
		s := &j.slots[i]
		return Frame{Status: FrameOK, Timestamp: s.ts, PayloadType: s.pt, Payload: s.data}, true
	}
	return Frame{}, false
}

// slotAt finds the frame covering ts (a timestamp within one frame of it).
func (j *JitterBuffer) slotAt(ts uint32) int {
	for i := range j.slots {
		if j.slots[i].used && j.slots[i].ts-ts < j.tsPerFrame {
			return i
		}
	}
	return -1
}

// oldest returns the earliest buffered timestamp (count must be > 0).
func (j *JitterBuffer) oldest() uint32 {
	var o uint32
	first := true
	for i := range j.slots {
		if s := &j.slots[i]; s.used && (first || int32(s.ts-o) < 0) {
			o, first = s.ts, false
		}
	}
	return o
}

// dropBefore discards frames older than ts.
func (j *JitterBuffer) dropBefore(ts uint32) {
	for i := range j.slots {
		if s := &j.slots[i]; s.used && int32(s.ts-ts) < 0 {
			s.used = false
			j.count--
			j.stats.Dropped++
		}
	}
}

// lossConcealer fills lost frames for codecs without concealment of their
// own: good sees every decoded frame, conceal fills a missing one.
type lossConcealer interface {
	good(pcm []int16)
	conceal(dst []int16)
	losses() int // lost frames in a row so far
}

// newLossConcealer returns spandsp's PLC (audio/plc: it repeats the last
// pitch period and fades over 50 ms) at 8 and 16 kHz, else the simple
// fading repeat below.
func newLossConcealer(rate int) lossConcealer {
	if c, err := plc.New(rate); err == nil {
		return &spandspPLC{c: c}
	}
	return &concealer{}
}

// spandspPLC adapts audio/plc to lossConcealer.
type spandspPLC struct {
	c    *plc.Concealer
	lost int // frames in a row
}

func (p *spandspPLC) good(pcm []int16)    { p.c.Good(pcm); p.lost = 0 }
func (p *spandspPLC) conceal(dst []int16) { p.c.Fill(dst); p.lost++ }
func (p *spandspPLC) losses() int         { return p.lost }

// concealer turns a stream of decoded frames and losses into continuous
// audio: a lost frame repeats the previous one at falling gain, and after
// three losses in a row it plays silence. It is the fallback where no PLC
// fits (rates other than 8 and 16 kHz; Opus conceals by itself).
type concealer struct {
	last []int16
	lost int
}

var concealGains = [...]float64{0.7, 0.4, 0.15}

func (c *concealer) losses() int { return c.lost }

// good records a decoded frame.
func (c *concealer) good(pcm []int16) {
	c.last = append(c.last[:0], pcm...)
	c.lost = 0
}

// conceal fills dst for a lost frame.
func (c *concealer) conceal(dst []int16) {
	if c.lost >= len(concealGains) || len(c.last) == 0 {
		clear(dst)
		c.lost++
		return
	}
	g := concealGains[c.lost]
	c.lost++
	for i := range dst {
		if i < len(c.last) {
			dst[i] = int16(float64(c.last[i]) * g)
		} else {
			dst[i] = 0
		}
	}
}
