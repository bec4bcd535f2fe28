package media

import (
	"testing"
)

// op is one step of a jitter-buffer scenario: push frame k (timestamp
// base+k*160) or pop and expect a status and, for FrameOK, frame k.
type op struct {
	push   int // frame number to push (when pop is false)
	pop    bool
	status FrameStatus
	frame  int
	accept bool // expected Push result
}

func push(k int, accept bool) op   { return op{push: k, accept: accept} }
func pop(st FrameStatus, k int) op { return op{pop: true, status: st, frame: k} }

func TestJitterBuffer(t *testing.T) {
	const base = uint32(0xFFFFFE00) // wraps during the test
	tests := []struct {
		name  string
		ops   []op
		stats JitterStats
	}{
		{"in order", []op{
			push(0, true), pop(FrameBuffering, 0), push(1, true), pop(FrameBuffering, 0), push(2, true),
			pop(FrameOK, 0), push(3, true), pop(FrameOK, 1), pop(FrameOK, 2), pop(FrameOK, 3),
		}, JitterStats{Pushed: 4, Played: 4}},
		{"reordered", []op{
			push(1, true), push(0, true), push(3, true), push(2, true),
			pop(FrameOK, 0), pop(FrameOK, 1), pop(FrameOK, 2), pop(FrameOK, 3),
		}, JitterStats{Pushed: 4, Played: 4}},
		{"loss", []op{
			push(0, true), push(1, true), push(3, true),
			pop(FrameOK, 0), pop(FrameOK, 1), pop(FrameLost, 2), pop(FrameOK, 3),
		}, JitterStats{Pushed: 3, Played: 3, Lost: 1}},
		{"duplicates", []op{
			push(0, true), push(0, false), push(1, true), push(2, true), push(1, false),
			pop(FrameOK, 0), pop(FrameOK, 1), pop(FrameOK, 2), push(2, false),
		}, JitterStats{Pushed: 3, Played: 3, Duplicate: 2, Late: 1}},
		{"late packet dropped", []op{
			push(0, true), push(2, true), push(3, true),
			pop(FrameOK, 0), pop(FrameLost, 1), push(1, false), pop(FrameOK, 2),
		}, JitterStats{Pushed: 3, Played: 2, Lost: 1, Late: 1}},
		{"late packet in time", []op{
			push(0, true), push(2, true), push(3, true),
			pop(FrameOK, 0), push(1, true), pop(FrameOK, 1), pop(FrameOK, 2),
		}, JitterStats{Pushed: 4, Played: 3}},
		{"underrun then rebuffer", []op{
			push(0, true), push(1, true), push(2, true),
			pop(FrameOK, 0), pop(FrameOK, 1), pop(FrameOK, 2),
			pop(FrameLost, 3), pop(FrameLost, 4), pop(FrameLost, 5), pop(FrameLost, 6), pop(FrameLost, 7),
			pop(FrameLost, 8), pop(FrameLost, 9), pop(FrameLost, 10), pop(FrameLost, 11), pop(FrameLost, 12),
			pop(FrameBuffering, 0), push(40, true), push(41, true), pop(FrameBuffering, 0), push(42, true),
			pop(FrameOK, 40),
		}, JitterStats{Pushed: 6, Played: 4, Lost: 10}},
		{"burst is capped", []op{
			push(0, true), push(1, true), push(2, true), push(3, true), push(4, true), push(5, true),
			push(6, true), push(7, true),
			pop(FrameOK, 1), // 8 queued > target+3: frame 0 dropped
			pop(FrameOK, 2), pop(FrameOK, 3),
		}, JitterStats{Pushed: 8, Played: 3, Dropped: 1}},
		{"timestamp jump resyncs", []op{
			push(0, true), push(1, true), push(2, true), pop(FrameOK, 0),
			push(500, true), push(501, true), pop(FrameBuffering, 0), push(502, true), pop(FrameOK, 500),
		}, JitterStats{Pushed: 6, Played: 2, Resyncs: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			jb := NewJitterBuffer(160, 3, 16)
			for i, o := range tc.ops {
				if !o.pop {
					payload := []byte{byte(o.push), byte(o.push >> 8)}
					if got := jb.Push(base+uint32(o.push)*160, 0, payload); got != o.accept {
						t.Fatalf("op %d: Push(%d) = %v, want %v", i, o.push, got, o.accept)
					}
					continue
				}
				f := jb.Pop()
				if f.Status != o.status {
					t.Fatalf("op %d: Pop status %v, want %v", i, f.Status, o.status)
				}
				if f.Status == FrameOK {
					got := int(f.Payload[0]) | int(f.Payload[1])<<8
					if got != o.frame || f.Timestamp != base+uint32(o.frame)*160 {
						t.Fatalf("op %d: Pop frame %d (ts %d), want %d", i, got, f.Timestamp, o.frame)
					}
				}
				if f.Status == FrameLost && f.Timestamp != base+uint32(o.frame)*160 {
					t.Fatalf("op %d: lost slot ts %d, want frame %d", i, f.Timestamp, o.frame)
				}
			}
			got := jb.Stats()
			got.TargetFrames = 0
			if got != tc.stats {
				t.Errorf("stats = %+v, want %+v", got, tc.stats)
			}
		})
	}
}

func TestJitterBufferCopiesPayload(t *testing.T) {
	jb := NewJitterBuffer(160, 1, 4)
	p := []byte{1, 2, 3}
	jb.Push(0, 8, p)
	p[0] = 99
	f := jb.Pop()
	if f.Status != FrameOK || f.Payload[0] != 1 || f.PayloadType != 8 {
		t.Fatalf("Pop = %+v", f)
	}
}

func TestJitterBufferFullWhileBuffering(t *testing.T) {
	jb := NewJitterBuffer(160, 20, 4) // capacity raised to target+4 = 24
	for k := range 30 {
		jb.Push(uint32(k)*160, 0, []byte{byte(k)})
	}
	if jb.Len() > 24 {
		t.Fatalf("Len = %d beyond capacity", jb.Len())
	}
	f := jb.Pop()
	// Frames 0-5 were pushed out by 24-29; with 24 queued (> target+3) the
	// first Pop also skips one frame to bound the delay.
	if f.Status != FrameOK || f.Payload[0] != 7 {
		t.Fatalf("Pop = %v %v, want frame 7", f.Status, f.Payload)
	}
	if st := jb.Stats(); st.Dropped != 7 {
		t.Fatalf("Dropped = %d, want 7", st.Dropped)
	}
}

func TestConcealer(t *testing.T) {
	var c concealer
	out := make([]int16, 4)
	c.conceal(out) // nothing yet: silence
	if out[0] != 0 {
		t.Fatal("conceal before any frame is not silent")
	}
	c.good([]int16{1000, -1000, 1000, -1000})
	want := []int16{700, 400, 150, 0, 0}
	for i, w := range want {
		c.conceal(out)
		if out[0] != w || out[1] != -w {
			t.Fatalf("loss %d: %v, want ±%d", i+1, out, w)
		}
	}
	c.good([]int16{10, 10, 10, 10})
	c.conceal(out)
	if out[0] != 7 {
		t.Fatalf("after recovery: %v", out)
	}
}

func TestRxStats(t *testing.T) {
	tests := []struct {
		name     string
		seqs     []uint16
		received uint64
		lost     uint64
		extMax   uint32
	}{
		{"in order", []uint16{10, 11, 12, 13}, 4, 0, 13},
		{"loss", []uint16{10, 11, 14, 15}, 4, 2, 15},
		{"reorder", []uint16{10, 12, 11, 13}, 4, 0, 13},
		{"wrap", []uint16{65534, 65535, 0, 1}, 4, 0, 1<<16 + 1},
		{"wrap with loss", []uint16{65534, 1, 2}, 3, 2, 1<<16 + 2},
		{"duplicate", []uint16{10, 11, 11, 12}, 4, 0, 12},
		{"big jump needs confirmation", []uint16{10, 11, 20000}, 2, 0, 11},
		{"confirmed restart", []uint16{10, 11, 20000, 20001, 20002}, 2, 0, 20002},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r rxStats
			for i, s := range tc.seqs {
				r.update(7, s, uint32(i)*160, int64(i)*160, 160)
			}
			if r.received != tc.received || r.lost() != tc.lost || r.extendedMax() != tc.extMax {
				t.Errorf("received %d lost %d extMax %d; want %d %d %d",
					r.received, r.lost(), r.extendedMax(), tc.received, tc.lost, tc.extMax)
			}
		})
	}
	// Jitter: constant transit gives 0; alternating ±80 converges to 80.
	var r rxStats
	for i := range 500 {
		d := int64(0)
		if i%2 == 1 {
			d = 80
		}
		r.update(1, uint16(i), uint32(i)*160, int64(i)*160+d, 160)
	}
	if r.jitter < 75 || r.jitter > 81 {
		t.Errorf("jitter %.1f, want ≈80", r.jitter)
	}
	// Fraction lost over an interval: 1 of 4 = 64/256.
	var f rxStats
	for _, s := range []uint16{1, 2, 4} {
		f.update(1, s, 0, 0, 1)
	}
	if got := f.fraction(); got != 64 {
		t.Errorf("fraction = %d, want 64", got)
	}
	if got := f.fraction(); got != 0 {
		t.Errorf("empty interval fraction = %d", got)
	}
}

func TestDTMFDetector(t *testing.T) {
	var d dtmfDetector
	ev := func(code uint8, end bool) []byte { return eventPayload(make([]byte, 4), code, end, 160) }
	type pkt struct {
		ts      uint32
		payload []byte
		want    rune // 0: nothing reported
	}
	pkts := []pkt{
		{1000, ev(1, false), '1'},
		{1000, ev(1, false), 0},
		{1000, ev(1, true), 0},
		{1000, ev(1, true), 0},
		{1000, ev(1, true), 0},
		{2280, ev(1, true), '1'}, // same digit again, start packets lost
		{2280, ev(1, true), 0},
		{1000, ev(5, true), 0}, // stale reordered packet
		{3560, ev(11, false), '#'},
		{4840, ev(10, false), '*'},
		{6120, ev(15, false), 'D'},
		{7400, ev(16, false), '!'},
		{8680, ev(99, false), 0}, // unknown event
		{9960, []byte{1, 2}, 0},  // short payload
	}
	for i, p := range pkts {
		r, ok := d.packet(p.ts, p.payload)
		if (p.want != 0) != ok || r != p.want {
			t.Fatalf("packet %d: got %q %v, want %q", i, r, ok, p.want)
		}
	}
}

func TestParseDigits(t *testing.T) {
	evs, err := parseDigits("0 9*#aD")
	if err != nil {
		t.Fatal(err)
	}
	want := []uint8{0, 9, 10, 11, 12, 15}
	if string(evs) != string(want) {
		t.Fatalf("events %v, want %v", evs, want)
	}
	if _, err := parseDigits("12x"); err == nil {
		t.Fatal("no error for x")
	}
}
