package tone

import (
	"io"
	"math"
	"time"

	"switchboard/audio"
)

// Segment is one step of a Cadence: the frequencies sounding together for
// Dur, or silence when Hz is empty.
type Segment struct {
	Hz  []float64
	Dur time.Duration
}

// rampDur is the fade at every edge between sound and silence, so tones
// start and stop without clicks.
const rampDur = 5 * time.Millisecond

// Cadence is an audio.Source playing a sequence of tone and silence
// segments, either once (then io.EOF) or repeating forever. Oscillator
// phase runs on across segments, so consecutive tone segments (a warble)
// join without clicks. Create it with NewCadence or one of the presets.
type Cadence struct {
	f      audio.Format
	level  float64
	loop   bool
	segs   []Segment
	frames []int // length of each segment in frames
	seg    int   // current segment
	pos    int   // frame within the current segment
	phase  []float64
	done   bool
}

// NewCadence returns a Cadence in format f; level is the peak amplitude
// (0..1) of each frequency component. Segments shorter than one frame are
// dropped.
func NewCadence(f audio.Format, level float64, loop bool, segs ...Segment) *Cadence {
	c := &Cadence{f: f, level: level, loop: loop}
	comps := 0
	for _, s := range segs {
		if n := int(s.Dur.Seconds() * float64(f.Rate)); n > 0 {
			c.segs = append(c.segs, s)
			c.frames = append(c.frames, n)
			comps = max(comps, len(s.Hz))
		}
	}
	c.phase = make([]float64, comps)
	c.done = len(c.segs) == 0 || f.Rate <= 0
	return c
}

// Format returns the generator's format.
func (c *Cadence) Format() audio.Format { return c.f }

// Duration returns the length of one pass through the segments.
func (c *Cadence) Duration() time.Duration {
	var d time.Duration
	for _, s := range c.segs {
		d += s.Dur
	}
	return d
}

// silentAt reports whether segment i (wrapping when looping) is silence;
// before the start and after the end of a one-shot cadence counts as silence.
func (c *Cadence) silentAt(i int) bool {
	if i < 0 || i >= len(c.segs) {
		if !c.loop {
			return true
		}
		i = (i + len(c.segs)) % len(c.segs)
	}
	return len(c.segs[i].Hz) == 0
}

// Read fills p with the next whole frames. A one-shot cadence returns
// io.EOF once all its segments have played.
func (c *Cadence) Read(p []int16) (int, error) {
	ch := max(1, c.f.Channels)
	n := 0
	for ; n+ch <= len(p) && !c.done; n += ch {
		s := c.segs[c.seg]
		v := 0.0
		if len(s.Hz) > 0 {
			for k, hz := range s.Hz {
				v += math.Sin(c.phase[k])
				c.phase[k] = math.Mod(c.phase[k]+2*math.Pi*hz/float64(c.f.Rate), 2*math.Pi)
			}
			v *= c.level * c.envelope()
		}
		x := int16(max(-32768, min(32767, math.Round(v*32767))))
		for i := 0; i < ch; i++ {
			p[n+i] = x
		}
		c.pos++
		if c.pos >= c.frames[c.seg] {
			c.pos = 0
			c.seg++
			if c.seg == len(c.segs) {
				c.seg = 0
				c.done = !c.loop
			}
		}
	}
	if n == 0 && c.done && len(p) >= ch {
		return 0, io.EOF
	}
	return n, nil
}

// envelope is the fade-in/fade-out gain at the current frame.
func (c *Cadence) envelope() float64 {
	ramp := min(int(rampDur.Seconds()*float64(c.f.Rate)), c.frames[c.seg]/4)
	if ramp < 1 {
		return 1
	}
	g := 1.0
	if c.pos < ramp && c.silentAt(c.seg-1) {
		g = 0.5 - 0.5*math.Cos(math.Pi*float64(c.pos)/float64(ramp))
	}
	if left := c.frames[c.seg] - 1 - c.pos; left < ramp && c.silentAt(c.seg+1) {
		g = min(g, 0.5-0.5*math.Cos(math.Pi*float64(left)/float64(ramp)))
	}
	return g
}

// RingbackStyle selects a national ringback (call-progress) tone.
type RingbackStyle int

const (
	// RingbackNorthAmerica is 440+480 Hz, 2 s on, 4 s off (the default).
	RingbackNorthAmerica RingbackStyle = iota
	// RingbackEurope is 425 Hz, 1 s on, 4 s off (ETSI ES 201 970).
	RingbackEurope
)

// NewRingback returns the endless ringback tone a caller hears while the
// far end rings.
func NewRingback(f audio.Format, style RingbackStyle) *Cadence {
	if style == RingbackEurope {
		return NewCadence(f, 0.3, true,
			Segment{Hz: []float64{425}, Dur: time.Second},
			Segment{Dur: 4 * time.Second})
	}
	return NewCadence(f, 0.2, true,
		Segment{Hz: []float64{440, 480}, Dur: 2 * time.Second},
		Segment{Dur: 4 * time.Second})
}

// Ringtone frequencies and timing: a two-tone warble (a major third apart)
// switching every 50 ms, rung as "ring-ring" (0.4 s on, 0.2 s off, 0.4 s
// on, 2 s off).
const (
	RingtoneLowHz  = 880.0
	RingtoneHighHz = 1100.0
	warbleStep     = 50 * time.Millisecond
)

// NewRingtone returns the endless incoming-call ring for the ringer device.
func NewRingtone(f audio.Format) *Cadence {
	var segs []Segment
	burst := func() {
		for i := 0; i < 8; i++ {
			hz := RingtoneLowHz
			if i%2 == 1 {
				hz = RingtoneHighHz
			}
			segs = append(segs, Segment{Hz: []float64{hz}, Dur: warbleStep})
		}
	}
	burst()
	segs = append(segs, Segment{Dur: 200 * time.Millisecond})
	burst()
	segs = append(segs, Segment{Dur: 2 * time.Second})
	return NewCadence(f, 0.5, true, segs...)
}

// NewBeep returns a single tone of hz lasting dur, then io.EOF (for
// notifications such as call waiting or a recording indicator).
func NewBeep(f audio.Format, hz float64, dur time.Duration) *Cadence {
	return NewCadence(f, 0.4, false, Segment{Hz: []float64{hz}, Dur: dur})
}
