package media

import (
	"context"
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"switchboard/audio"
	"switchboard/audio/tone"
)

// relayLeg records what the relay did to one direction of RTP.
type relayLeg struct {
	forwarded []relayFwd      // in the order the packets left the relay
	dropped   map[uint16]bool // sequence numbers dropped on purpose
	total     int             // packets accepted while running
}

// relayFwd is one forwarded packet.
type relayFwd struct {
	at    time.Time
	seq   uint16
	ts    uint32
	delay time.Duration
}

// lossyRelay is a UDP relay between two RTP endpoints that drops a share of
// the packets at random (seeded) and delays each forwarded one by a uniform
// random time in [0, maxDelay), so packets also reorder. It forwards both
// ways and records, per direction, exactly what it did.
type lossyRelay struct {
	toA, toB *net.UDPConn // RTP: A sends to toA, B to toB (see newLossyRelay)
	// RTCP on the ports above RTP, forwarded untouched (no loss or delay),
	// so the sessions' reports go where they expect (latched port + 1).
	rtcpA, rtcpB *net.UDPConn
	mu           sync.Mutex
	rng          *rand.Rand
	loss         float64
	maxDelay     time.Duration
	frozen       bool
	legs         [2]relayLeg // 0: A→B, 1: B→A
	pending      sync.WaitGroup
	done         chan struct{}
	readers      sync.WaitGroup
}

// newLossyRelay opens the relay's two sockets: sideA is the address A must
// send to (it forwards to b), sideB the one B must send to (forwards to a).
func newLossyRelay(t *testing.T, a, b netip.AddrPort, loss float64, maxDelay time.Duration, seed uint64) *lossyRelay {
	t.Helper()
	r := &lossyRelay{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), loss: loss, maxDelay: maxDelay,
		done: make(chan struct{})}
	for i := range r.legs {
		r.legs[i].dropped = map[uint16]bool{}
	}
	var err error
	if r.toA, r.rtcpA, err = bindPair(loopback, 0, 0); err != nil {
		t.Fatal(err)
	}
	if r.toB, r.rtcpB, err = bindPair(loopback, 0, 0); err != nil {
		t.Fatal(err)
	}
	// Packets from A arrive on toA and leave through toB towards b, so B
	// sees (and latches onto) toB; and the other way round.
	r.readers.Add(4)
	go r.run(r.toA, r.toB, b, 0)
	go r.run(r.toB, r.toA, a, 1)
	go r.pass(r.rtcpA, r.rtcpB, netip.AddrPortFrom(b.Addr(), b.Port()+1))
	go r.pass(r.rtcpB, r.rtcpA, netip.AddrPortFrom(a.Addr(), a.Port()+1))
	t.Cleanup(r.stop)
	return r
}

// sideA is where A sends its RTP; sideB where B sends.
func (r *lossyRelay) sideA() int { return r.toA.LocalAddr().(*net.UDPAddr).Port }
func (r *lossyRelay) sideB() int { return r.toB.LocalAddr().(*net.UDPAddr).Port }

func (r *lossyRelay) run(in, out *net.UDPConn, dest netip.AddrPort, leg int) {
	defer r.readers.Done()
	buf := make([]byte, 2048)
	for {
		n, _, err := in.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		var h rtp.Header
		if _, err := h.Unmarshal(buf[:n]); err != nil {
			continue
		}
		pkt := append([]byte(nil), buf[:n]...)
		r.mu.Lock()
		if r.frozen {
			r.mu.Unlock()
			continue
		}
		l := &r.legs[leg]
		l.total++
		if r.rng.Float64() < r.loss {
			l.dropped[h.SequenceNumber] = true
			r.mu.Unlock()
			continue
		}
		delay := time.Duration(r.rng.Int64N(int64(r.maxDelay) + 1))
		r.pending.Add(1)
		r.mu.Unlock()
		time.AfterFunc(delay, func() {
			defer r.pending.Done()
			select {
			case <-r.done:
				return
			default:
			}
			// Record and send under the lock so the log order is the order
			// the packets left (and, on loopback, arrive).
			r.mu.Lock()
			defer r.mu.Unlock()
			l.forwarded = append(l.forwarded, relayFwd{at: time.Now(), seq: h.SequenceNumber, ts: h.Timestamp, delay: delay})
			out.WriteToUDPAddrPort(pkt, dest)
		})
	}
}

// pass forwards datagrams from in to dest through out, unchanged.
func (r *lossyRelay) pass(in, out *net.UDPConn, dest netip.AddrPort) {
	defer r.readers.Done()
	buf := make([]byte, 2048)
	for {
		n, _, err := in.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		out.WriteToUDPAddrPort(buf[:n], dest)
	}
}

// freeze stops accepting packets (not counted as loss) and waits until the
// delayed ones have been sent.
func (r *lossyRelay) freeze() {
	r.mu.Lock()
	r.frozen = true
	r.mu.Unlock()
	r.pending.Wait()
}

func (r *lossyRelay) stop() {
	select {
	case <-r.done:
		return
	default:
	}
	close(r.done)
	for _, c := range []*net.UDPConn{r.toA, r.toB, r.rtcpA, r.rtcpB} {
		c.Close()
	}
	r.readers.Wait()
	r.pending.Wait()
}

// applied returns, for one direction, the drop ratio over the sequence
// range the receiver accounts for (from the first packet it got to the
// highest one it got), and the RFC 3550 interarrival jitter implied by the
// forward times and RTP timestamps, computed as the receiver does (A.8).
func (r *lossyRelay) applied(leg int, clock int) (loss float64, jitter time.Duration, fwd int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := &r.legs[leg]
	if len(l.forwarded) == 0 {
		return 0, 0, 0
	}
	base := l.forwarded[0].seq
	maxOff := uint16(0)
	for _, f := range l.forwarded {
		if off := f.seq - base; off < 1<<15 && off > maxOff {
			maxOff = off
		}
	}
	dropped := 0
	for seq := range l.dropped {
		if off := seq - base; off <= maxOff {
			dropped++
		}
	}
	loss = float64(dropped) / float64(int(maxOff)+1)
	var j float64
	var prev int64
	epoch := l.forwarded[0].at
	for i, f := range l.forwarded {
		arrival := int64(f.at.Sub(epoch)) * int64(clock) / int64(time.Second)
		transit := arrival - int64(f.ts)
		if i > 0 {
			d := math.Abs(float64(transit - prev))
			j += (d - j) / 16
		}
		prev = transit
	}
	return loss, time.Duration(j / float64(clock) * float64(time.Second)), len(l.forwarded)
}

// setPort rewrites the m=audio port of an SDP body.
func setPort(sdp string, port int) string {
	lines := strings.Split(sdp, "\r\n")
	for i, l := range lines {
		if f := strings.Fields(l); len(f) > 2 && f[0] == "m=audio" {
			f[1] = strconv.Itoa(port)
			lines[i] = strings.Join(f, " ")
		}
	}
	return strings.Join(lines, "\r\n")
}

type lossyResult struct {
	st      Stats
	tail    []int16 // last 3 s received by B
	rate    int
	relay   *lossyRelay
	clock   int
	elapsed time.Duration
}

// runLossyCall plays a 1 kHz tone from A to B (and 700 Hz back) through a
// lossyRelay for dur and returns B's statistics and received audio.
func runLossyCall(t *testing.T, codecName string, loss float64, maxDelay time.Duration, dur time.Duration) lossyResult {
	t.Helper()
	cfg := Config{LocalIP: loopback, Codecs: []string{codecName}, RTCPInterval: time.Second}
	a, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	b, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	relay := newLossyRelay(t, a.LocalAddr(), b.LocalAddr(), loss, maxDelay, 42)

	offer, err := a.Offer()
	if err != nil {
		t.Fatal(err)
	}
	// B must send to the relay's B side; A to its A side.
	ans, err := b.Answer([]byte(setPort(string(offer), relay.sideB())))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetAnswer([]byte(setPort(string(ans), relay.sideA()))); err != nil {
		t.Fatal(err)
	}
	f := a.Format()
	recB := newRecorder()
	recB.f = f
	recA := newRecorder()
	recA.f = f
	if err := a.Start(tone.NewSine(f, 1000, 0.5), recA); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(tone.NewSine(f, 700, 0.5), recB); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	select {
	case <-time.After(dur):
	case <-t.Context().Done():
	}
	relay.freeze()
	time.Sleep(150 * time.Millisecond) // let B read what is in its socket
	st := b.Stats()
	elapsed := time.Since(start)
	rec := recB.since(0)
	tailN := 3 * f.Rate * f.Channels
	if len(rec) < tailN {
		t.Fatalf("B received only %d samples in %v", len(rec), elapsed)
	}
	// The tail ends where the relay froze, minus what was played after it.
	stop := len(rec) - f.SamplesPer(150)
	return lossyResult{st: st, tail: rec[stop-tailN : stop], rate: f.Rate, relay: relay, clock: clockOf(t, codecName), elapsed: elapsed}
}

// clockOf is the RTP clock of a codec as the Session negotiates it.
func clockOf(t *testing.T, name string) int {
	switch name {
	case "opus":
		return 48000
	case "PCMU", "PCMA", "G722":
		return 8000
	}
	t.Fatalf("unknown codec %s", name)
	return 0
}

// TestLossyJitteryRelay is the acceptance test for loss and jitter: through
// a relay that drops 5 % of the packets at random and delays each by
// 0–60 ms (so some reorder), the received 1 kHz tone stays present (with
// concealment) at about the level of a clean call, and the receiver's
// statistics report the loss and the RFC 3550 jitter within 20 % of what
// the relay actually applied.
func TestLossyJitteryRelay(t *testing.T) {
	if testing.Short() {
		t.Skip("takes ~10 s per codec")
	}
	for _, name := range []string{"PCMU", "opus"} {
		t.Run(name, func(t *testing.T) {
			clean := runLossyCall(t, name, 0, 0, 3500*time.Millisecond)
			lossy := runLossyCall(t, name, 0.05, 60*time.Millisecond, 7*time.Second)

			hz, share := audio.DominantFrequency(lossy.tail, lossy.rate, 300, 2000, 10)
			cleanDB := audio.DBFS(audio.RMS(clean.tail[len(clean.tail)-lossy.rate:]))
			lossyDB := audio.DBFS(audio.RMS(lossy.tail))
			t.Logf("tone %.0f Hz share %.2f; level %.1f dBFS (clean %.1f dBFS)", hz, share, lossyDB, cleanDB)
			if math.Abs(hz-1000) > 10 || share <= 0.5 {
				t.Errorf("received tone %.0f Hz share %.2f; want 1000 Hz share > 0.5", hz, share)
			}
			if math.Abs(lossyDB-cleanDB) > 6 {
				t.Errorf("level %.1f dBFS vs %.1f dBFS without loss: more than 6 dB apart", lossyDB, cleanDB)
			}

			st := lossy.st
			wantLoss, wantJit, fwd := lossy.relay.applied(0, lossy.clock)
			expected := st.PacketsReceived + st.PacketsLost
			gotLoss := float64(st.PacketsLost) / float64(expected)
			t.Logf("relay: %d forwarded, loss %.2f%%, RFC 3550 jitter %v; B: received %d lost %d (%.2f%%), jitter %v; jb %+v",
				fwd, 100*wantLoss, wantJit, st.PacketsReceived, st.PacketsLost, 100*gotLoss, st.Jitter, st.JitterBuffer)
			if wantLoss == 0 || math.Abs(gotLoss-wantLoss) > 0.2*wantLoss {
				t.Errorf("loss %.2f%%, relay applied %.2f%%: not within 20%%", 100*gotLoss, 100*wantLoss)
			}
			if wantJit == 0 || math.Abs(float64(st.Jitter-wantJit)) > 0.2*float64(wantJit) {
				t.Errorf("jitter %v, relay applied %v: not within 20%%", st.Jitter, wantJit)
			}
			t.Logf("jitter buffer delay %v, estimated MOS %.2f, RTCP received %d, RTT %v", st.JitterBufferDelay, st.MOS, st.RTCPReceived, st.RTT)
			if st.JitterBufferDelay < 40*time.Millisecond || st.JitterBufferDelay > 200*time.Millisecond {
				t.Errorf("jitter buffer delay %v outside 40-200 ms", st.JitterBufferDelay)
			}
			if st.MOS < 3.3 || st.MOS > 4.2 {
				t.Errorf("estimated MOS %.2f for ~5%% loss, want about 3.9", st.MOS)
			}
			if st.PacketsReceived != uint64(fwd) {
				t.Errorf("B received %d packets, relay forwarded %d", st.PacketsReceived, fwd)
			}
		})
	}
}
