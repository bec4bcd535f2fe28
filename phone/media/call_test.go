package media

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
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

const waitLimit = 10 * time.Second

// recorder is a Sink that keeps everything and wakes waiters on each write.
type recorder struct {
	mu      sync.Mutex
	f       audio.Format // zero: audio.Mono8k
	samples []int16
	notify  chan struct{}
}

func newRecorder() *recorder { return &recorder{notify: make(chan struct{}, 1)} }

func (r *recorder) Format() audio.Format {
	if r.f.Rate == 0 {
		return audio.Mono8k
	}
	return r.f
}

func (r *recorder) Write(p []int16) (int, error) {
	r.mu.Lock()
	r.samples = append(r.samples, p...)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.samples)
}

func (r *recorder) since(mark int) []int16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int16(nil), r.samples[mark:]...)
}

// waitUntil waits (bounded) until check, evaluated after every write,
// returns true.
func (r *recorder) waitUntil(t *testing.T, what string, check func() bool) {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for !check() {
		select {
		case <-r.notify:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// waitSamples waits until n samples were written after mark.
func (r *recorder) waitSamples(t *testing.T, mark, n int) []int16 {
	t.Helper()
	var got []int16
	r.waitUntil(t, strconv.Itoa(n)+" samples", func() bool {
		if r.len()-mark < n {
			return false
		}
		got = r.since(mark)
		return true
	})
	return got
}

// waitTone waits until the last 0.5 s written after mark is a clean tone at hz.
func (r *recorder) waitTone(t *testing.T, mark int, hz float64) {
	t.Helper()
	var lastHz, lastShare float64
	ok := func() bool {
		s := r.since(mark)
		rate := r.Format().Rate
		if len(s) < rate/2 {
			return false
		}
		lastHz, lastShare = audio.DominantFrequency(s[len(s)-rate/2:], rate, 300, 2000, 10)
		return math.Abs(lastHz-hz) <= 10 && lastShare > 0.7
	}
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for !ok() {
		select {
		case <-r.notify:
		case <-deadline.C:
			t.Fatalf("no %.0f Hz tone (last: %.0f Hz share %.2f)", hz, lastHz, lastShare)
		}
	}
}

// eventually polls cond until it holds or the wait limit passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// connect runs offer/answer between a (offerer) and b; edit may rewrite the
// offer before b sees it.
func connect(t *testing.T, a, b *Session, edit func(string) string) {
	t.Helper()
	offer, err := a.Offer()
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		offer = []byte(edit(string(offer)))
	}
	ans, err := b.Answer(offer)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetAnswer(ans); err != nil {
		t.Fatal(err)
	}
}

type call struct {
	a, b       *Session
	recA, recB *recorder
}

// startCall connects two sessions and plays 700 Hz from A, 1300 Hz from B.
func startCall(t *testing.T, cfg Config, edit func(string) string) *call {
	t.Helper()
	cfg.LocalIP = loopback
	if len(cfg.Codecs) == 0 {
		cfg.Codecs = g711
	}
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
	connect(t, a, b, edit)
	c := &call{a: a, b: b, recA: newRecorder(), recB: newRecorder()}
	if err := a.Start(tone.NewSine(audio.Mono8k, 700, 0.5), c.recA); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(tone.NewSine(audio.Mono8k, 1300, 0.5), c.recB); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCallExchangesTones(t *testing.T) {
	c := startCall(t, Config{}, nil)
	c.recB.waitTone(t, 0, 700)
	c.recA.waitTone(t, 0, 1300)

	for _, s := range []*Session{c.a, c.b} {
		st := s.Stats()
		if st.Codec != "PCMU" || st.PayloadType != 0 || st.DTMFPayloadType != 101 {
			t.Errorf("stats codec %+v", st)
		}
		if st.PacketsSent < 10 || st.PacketsReceived < 10 || st.BytesReceived != 160*st.PacketsReceived {
			t.Errorf("counters %+v", st)
		}
		if st.PacketsLost != 0 || st.Ignored != 0 {
			t.Errorf("loss/ignored on loopback: %+v", st)
		}
		if st.Jitter > 20*time.Millisecond {
			t.Errorf("jitter %v", st.Jitter)
		}
	}
	// Symmetric RTP: each side sends to where the other's packets come from.
	if got := c.a.Stats().RemoteAddr; got != c.b.LocalAddr().String() {
		t.Errorf("A sends to %s, B is %s", got, c.b.LocalAddr())
	}

	// SetAudio swaps the source at run time.
	mark := c.recB.len()
	c.a.SetAudio(tone.NewSine(audio.Mono8k, 1000, 0.5), c.recA)
	c.recB.waitTone(t, mark, 1000)
}

func TestCallPCMA(t *testing.T) {
	c := startCall(t, Config{Codecs: []string{"PCMA"}}, nil)
	c.recB.waitTone(t, 0, 700)
	c.recA.waitTone(t, 0, 1300)
	if c.a.Codec() != "PCMA" || c.b.Codec() != "PCMA" {
		t.Fatalf("codecs %s %s", c.a.Codec(), c.b.Codec())
	}
}

func silent(s []int16) bool { return audio.RMS(s) < 0.001 }

func TestHoldAndResume(t *testing.T) {
	c := startCall(t, Config{}, nil)
	c.recB.waitTone(t, 0, 700)
	c.recA.waitTone(t, 0, 1300)

	// A holds: re-INVITE with sendonly, B answers recvonly.
	hold, err := c.a.Reoffer(SendOnly)
	if err != nil {
		t.Fatal(err)
	}
	ans, err := c.b.UpdateRemote(hold)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ans), "a=recvonly") {
		t.Fatalf("answer to hold:\n%s", ans)
	}
	if c.b.RemoteDirection() != SendOnly {
		t.Fatalf("B sees remote direction %v", c.b.RemoteDirection())
	}
	if err := c.a.SetAnswer(ans); err != nil {
		t.Fatal(err)
	}
	if c.a.RemoteDirection() != RecvOnly || c.a.LocalDirection() != SendOnly {
		t.Fatalf("A directions local %v remote %v", c.a.LocalDirection(), c.a.RemoteDirection())
	}

	// B keeps playing (it still receives) but hears nothing: let 0.5 s pass
	// for packets in flight and concealment, then expect 0.5 s of silence.
	mark := c.recB.len()
	got := c.recB.waitSamples(t, mark, 8000)
	if tail := got[4000:]; !silent(tail) {
		t.Fatalf("B hears audio while held: RMS %.4f", audio.RMS(tail))
	}
	// Nothing is sent either way now, and A (holding) plays nothing.
	sentA, recvA, playedA := c.a.Stats().PacketsSent, c.a.Stats().PacketsReceived, c.recA.len()
	sentB := c.b.Stats().PacketsSent
	got = c.recB.waitSamples(t, c.recB.len(), 2400)
	if !silent(got) {
		t.Fatal("B hears audio while held")
	}
	if a := c.a.Stats(); a.PacketsSent != sentA || a.PacketsReceived != recvA {
		t.Errorf("A sent %d→%d received %d→%d while holding", sentA, a.PacketsSent, recvA, a.PacketsReceived)
	}
	if n := c.b.Stats().PacketsSent; n != sentB {
		t.Errorf("B sent %d packets to a holding peer", n-sentB)
	}
	if n := c.recA.len(); n != playedA {
		t.Errorf("A played %d samples while holding", n-playedA)
	}
	if err := c.a.SendDTMF(context.Background(), "1"); !errors.Is(err, ErrNotSending) {
		t.Errorf("SendDTMF on hold: %v", err)
	}

	// Resume.
	resume, err := c.a.Reoffer(SendRecv)
	if err != nil {
		t.Fatal(err)
	}
	ans, err = c.b.UpdateRemote(resume)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ans), "a=sendrecv") || c.b.RemoteDirection() != SendRecv {
		t.Fatalf("answer to resume:\n%s", ans)
	}
	if err := c.a.SetAnswer(ans); err != nil {
		t.Fatal(err)
	}
	c.recB.waitTone(t, c.recB.len(), 700)
	c.recA.waitTone(t, c.recA.len(), 1300)
}

func TestRemoteHoldInactive(t *testing.T) {
	// B holds A: B's inactive re-offer makes A stop sending and playing.
	c := startCall(t, Config{RTCPInterval: 60 * time.Millisecond}, nil)
	c.recA.waitTone(t, 0, 1300)
	off, _ := c.b.Reoffer(Inactive)
	ans, err := c.a.UpdateRemote(off)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ans), "a=inactive") || c.a.RemoteDirection() != Inactive {
		t.Fatalf("answer:\n%s", ans)
	}
	if err := c.b.SetAnswer(ans); err != nil {
		t.Fatal(err)
	}
	// Everything A sent arrives at B and A sends nothing more; A plays
	// nothing (the peer sends nothing and declared inactive).
	eventually(t, "A to stop sending", func() bool {
		return c.a.Stats().PacketsSent == c.b.Stats().PacketsReceived
	})
	played := c.recA.len()
	if err := c.a.SendDTMF(context.Background(), "1"); !errors.Is(err, ErrNotSending) {
		t.Errorf("SendDTMF while remote holds: %v", err)
	}
	sent := c.a.Stats().PacketsSent
	// B still runs its clock: wait for 10 of its RTCP reports (30 ms apart
	// at least) and check A stayed quiet meanwhile.
	n := c.b.Stats().RTCPSent
	eventually(t, "B's RTCP clock", func() bool { return c.b.Stats().RTCPSent >= n+5 })
	if c.recA.len() != played || c.a.Stats().PacketsSent != sent {
		t.Errorf("A active while held inactive: played %d sent %d", c.recA.len()-played, c.a.Stats().PacketsSent-sent)
	}
}

func TestDTMFRoundTrip(t *testing.T) {
	// A offers telephone-event as 96 (not the usual 101); B must use it.
	c := startCall(t, Config{}, func(o string) string {
		return strings.NewReplacer(" 101\r\n", " 96\r\n", "rtpmap:101 ", "rtpmap:96 ", "fmtp:101 ", "fmtp:96 ").Replace(o)
	})
	if c.b.Stats().DTMFPayloadType != 96 || c.a.Stats().DTMFPayloadType != 96 {
		t.Fatalf("telephone-event PT %d / %d", c.a.Stats().DTMFPayloadType, c.b.Stats().DTMFPayloadType)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := c.b.SendDTMF(ctx, "123#"); err != nil {
		t.Fatal(err)
	}
	if err := c.b.SendDTMF(ctx, "5"); err != nil {
		t.Fatal(err)
	}
	var got []rune
	for len(got) < 5 {
		select {
		case r := <-c.a.DTMF():
			got = append(got, r)
		case <-ctx.Done():
			t.Fatalf("received %q, want 123#5", string(got))
		}
	}
	if string(got) != "123#5" {
		t.Fatalf("received %q, want 123#5", string(got))
	}
	if c.b.Stats().DTMFSent != 5 || c.a.Stats().DTMFReceived != 5 {
		t.Errorf("DTMF counters sent %d received %d", c.b.Stats().DTMFSent, c.a.Stats().DTMFReceived)
	}
	// Audio continues after the digits.
	c.recA.waitTone(t, c.recA.len(), 1300)
	if err := c.a.SendDTMF(ctx, "1x"); !errors.Is(err, ErrBadDigit) {
		t.Errorf("bad digit: %v", err)
	}
}

// rawPeer is a bare UDP socket acting as the remote end.
func rawPeer(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestDTMFWireFormat(t *testing.T) {
	peer := rawPeer(t)
	port := peer.LocalAddr().(*net.UDPAddr).Port
	s := newSession(t)
	if _, err := s.Answer(remoteOffer(port, "0 98", "a=rtpmap:98 telephone-event/8000", "a=fmtp:98 0-16")); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(tone.NewSine(audio.Mono8k, 700, 0.5), nil); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.SendDTMF(context.Background(), "7#") }()

	type evPkt struct {
		hdr rtp.Header
		ev  uint8
		end bool
		dur uint16
	}
	var evs []evPkt
	var audioAfter int
	lastSeq := -1
	buf := make([]byte, 1500)
	peer.SetReadDeadline(time.Now().Add(waitLimit))
	for audioAfter < 3 {
		n, err := peer.Read(buf)
		if err != nil {
			t.Fatalf("read: %v (got %d event packets)", err, len(evs))
		}
		var p rtp.Packet
		if err := p.Unmarshal(buf[:n]); err != nil {
			t.Fatal(err)
		}
		if lastSeq >= 0 && p.SequenceNumber != uint16(lastSeq+1) {
			t.Fatalf("sequence gap %d → %d", lastSeq, p.SequenceNumber)
		}
		lastSeq = int(p.SequenceNumber)
		switch p.PayloadType {
		case 98:
			evs = append(evs, evPkt{p.Header, p.Payload[0], p.Payload[1]&0x80 != 0, binary.BigEndian.Uint16(p.Payload[2:])})
		case 0:
			if len(evs) == 2*7 { // both digits' packets seen
				audioAfter++
			}
		default:
			t.Fatalf("unexpected PT %d", p.PayloadType)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Per digit: start (M, 160), updates 320..640, end 800 ×3 (7 event
	// packets), then one 20 ms frame of audio in the gap.
	want := []struct {
		ev     uint8
		marker bool
		end    bool
		dur    uint16
	}{
		{7, true, false, 160}, {7, false, false, 320}, {7, false, false, 480}, {7, false, false, 640},
		{7, false, true, 800}, {7, false, true, 800}, {7, false, true, 800},
		{11, true, false, 160}, {11, false, false, 320}, {11, false, false, 480}, {11, false, false, 640},
		{11, false, true, 800}, {11, false, true, 800}, {11, false, true, 800},
	}
	if len(evs) != len(want) {
		t.Fatalf("%d event packets, want %d", len(evs), len(want))
	}
	for i, w := range want {
		e := evs[i]
		if e.ev != w.ev || e.hdr.Marker != w.marker || e.end != w.end || e.dur != w.dur {
			t.Errorf("event packet %d = ev %d M %v E %v dur %d; want %+v", i, e.ev, e.hdr.Marker, e.end, e.dur, w)
		}
		first := evs[i-i%7]
		if e.hdr.Timestamp != first.hdr.Timestamp {
			t.Errorf("packet %d timestamp %d differs from its event start %d", i, e.hdr.Timestamp, first.hdr.Timestamp)
		}
	}
	// Next digit starts 160 ms (8 frames) after the previous: 100 ms tone + 60 ms gap.
	if d := evs[7].hdr.Timestamp - evs[0].hdr.Timestamp; d != 8*160 {
		t.Errorf("digit spacing %d timestamp units, want 1280", d)
	}
}

func TestGarbageDoesNotBreakCall(t *testing.T) {
	c := startCall(t, Config{RTCPInterval: 100 * time.Millisecond}, nil)
	c.recB.waitTone(t, 0, 700)
	junk := rawPeer(t)
	rng := rand.New(rand.NewPCG(1, 2))
	dst := net.UDPAddrFromAddrPort(c.b.LocalAddr())
	dstRTCP := net.UDPAddrFromAddrPort(netip.AddrPortFrom(c.b.LocalAddr().Addr(), c.b.LocalAddr().Port()+1))
	sent := 0
	for i := range 300 {
		var b []byte
		switch i % 5 {
		case 0: // random bytes
			b = make([]byte, rng.IntN(200))
			for j := range b {
				b[j] = byte(rng.Uint32())
			}
		case 1: // RTP with an unknown payload type
			p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 33, SequenceNumber: uint16(i), SSRC: 5}, Payload: make([]byte, 160)}
			b, _ = p.Marshal()
		case 2: // truncated header claiming CSRCs and an extension
			b = []byte{0x9F, 0, 0, 1, 0, 0, 0, 0}
		case 3: // telephone-event with a short payload
			p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SSRC: 5}, Payload: []byte{1}}
			b, _ = p.Marshal()
		case 4: // empty datagram
			b = []byte{}
		}
		if _, err := junk.WriteToUDP(b, dst); err == nil {
			sent++
		}
		junk.WriteToUDP(b, dstRTCP)
	}
	// The call carries on.
	c.recB.waitTone(t, c.recB.len(), 700)
	c.recA.waitTone(t, c.recA.len(), 1300)
	eventually(t, "garbage counted", func() bool { return c.b.Stats().Ignored > 0 })
	// Latching did not move to the junk sender, whose packets (including a
	// well-formed telephone-event with another SSRC) did not disturb the
	// stream statistics.
	st := c.b.Stats()
	if st.RemoteAddr != c.a.LocalAddr().String() {
		t.Errorf("B latched to %s after junk", st.RemoteAddr)
	}
	// (The flood may make the kernel drop a real packet or two, so compare
	// what B expected from A's SSRC with what A sent rather than insist on
	// zero loss; a reset by the junk SSRC would lose most of the count.)
	if sentA := c.a.Stats().PacketsSent; st.DTMFReceived != 0 || st.PacketsReceived+st.PacketsLost+5 < sentA {
		t.Errorf("junk disturbed B (A sent %d): %+v", sentA, st)
	}
	if st.RTCPReceived > 0 && c.b.rtcpDest() != netip.AddrPortFrom(c.a.LocalAddr().Addr(), c.a.LocalAddr().Port()+1) {
		t.Errorf("B's RTCP goes to %v", c.b.rtcpDest())
	}
}

func TestStatsCountLoss(t *testing.T) {
	// A ⇄ proxy ⇄ B; the proxy drops every 10th RTP packet from A to B.
	a, b := newSession(t), newSession(t)
	pa, pb := rawPeer(t), rawPeer(t) // pa faces A, pb faces B
	paPort := pa.LocalAddr().(*net.UDPAddr).Port
	pbPort := pb.LocalAddr().(*net.UDPAddr).Port
	var dropped sync.Map
	forward := func(in, out *net.UDPConn, to netip.AddrPort, drop bool) {
		buf := make([]byte, 1500)
		for {
			n, err := in.Read(buf)
			if err != nil {
				return
			}
			var p rtp.Packet
			if drop && p.Unmarshal(buf[:n]) == nil && p.PayloadType == 0 && p.SequenceNumber%10 == 0 {
				dropped.Store(p.SequenceNumber, true)
				continue
			}
			out.WriteToUDPAddrPort(buf[:n], to)
		}
	}
	go forward(pa, pb, b.LocalAddr(), true)
	go forward(pb, pa, a.LocalAddr(), false)

	offer, _ := a.Offer()
	ans, err := b.Answer([]byte(strings.Replace(string(offer), "m=audio "+strconv.Itoa(int(a.LocalAddr().Port())), "m=audio "+strconv.Itoa(pbPort), 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetAnswer([]byte(strings.Replace(string(ans), "m=audio "+strconv.Itoa(int(b.LocalAddr().Port())), "m=audio "+strconv.Itoa(paPort), 1))); err != nil {
		t.Fatal(err)
	}
	recB := newRecorder()
	a.Start(tone.NewSine(audio.Mono8k, 700, 0.5), nil)
	b.Start(nil, recB)
	recB.waitSamples(t, 0, 8000*2)
	st := b.Stats()
	total := st.PacketsReceived + st.PacketsLost
	if st.PacketsLost == 0 || float64(st.PacketsLost) < 0.07*float64(total) || float64(st.PacketsLost) > 0.13*float64(total) {
		t.Fatalf("lost %d of %d, want ≈10%%", st.PacketsLost, total)
	}
	if st.JitterBuffer.Lost == 0 {
		t.Error("jitter buffer concealed nothing")
	}
	if a.Stats().PacketsLost != 0 {
		t.Errorf("A counts loss on the clean direction: %d", a.Stats().PacketsLost)
	}
}

func TestRTCPReports(t *testing.T) {
	c := startCall(t, Config{RTCPInterval: 50 * time.Millisecond}, nil)
	c.recB.waitTone(t, 0, 700)
	eventually(t, "RTCP both ways", func() bool {
		a, b := c.a.Stats(), c.b.Stats()
		return a.RTCPReceived >= 2 && b.RTCPReceived >= 2 && a.RTCPSent >= 2 && b.RTCPSent >= 2
	})
	for _, s := range []*Session{c.a, c.b} {
		st := s.Stats()
		if st.RemotePacketsLost != 0 || st.RemoteFractionLost != 0 || st.RemoteJitter > 20*time.Millisecond {
			t.Errorf("remote report %+v", st)
		}
		if st.RTT > time.Second {
			t.Errorf("RTT %v on loopback", st.RTT)
		}
	}
}

func TestCloseAndContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s, err := New(ctx, Config{LocalIP: loopback})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(nil, nil); !errors.Is(err, ErrNotNegotiated) {
		t.Fatalf("Start before negotiation: %v", err)
	}
	if _, err := s.Answer(remoteOffer(40000, "0 101", "a=rtpmap:101 telephone-event/8000")); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(audio.Silence{F: audio.Mono16k}, nil); !errors.Is(err, ErrFormat) {
		t.Fatalf("Start with 16 kHz source: %v", err)
	}
	if err := s.Start(nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(nil, nil); !errors.Is(err, ErrStarted) {
		t.Fatalf("second Start: %v", err)
	}
	cancel() // ending ctx closes the session: the DTMF channel closes
	select {
	case _, ok := <-s.DTMF():
		if ok {
			t.Fatal("digit from nowhere")
		}
	case <-time.After(waitLimit):
		t.Fatal("ctx cancel did not close the session")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close after ctx end: %v", err)
	}
	s.Close()
	if _, err := s.Offer(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Offer after Close: %v", err)
	}
	// The port is free again.
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(s.LocalAddr()))
	if err != nil {
		t.Fatalf("port still bound after Close: %v", err)
	}
	c.Close()
}

func TestEchoTest(t *testing.T) {
	rec := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- EchoTest(ctx, tone.NewSine(audio.Mono8k, 700, 0.5), rec, "PCMA") }()
	rec.waitTone(t, 0, 700)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitLimit):
		t.Fatal("EchoTest did not stop")
	}
	if err := EchoTest(context.Background(), audio.Silence{F: audio.Mono8k}, rec, "nope"); err == nil {
		t.Fatal("unknown codec accepted")
	}
}

// finite is a Source of n samples of a sine, then io.EOF.
type finite struct {
	s *tone.Sine
	n int
}

func (f *finite) Format() audio.Format { return audio.Mono8k }
func (f *finite) Read(p []int16) (int, error) {
	if f.n <= 0 {
		return 0, errEOF
	}
	k := min(len(p), f.n)
	f.s.Read(p[:k])
	f.n -= k
	return k, nil
}

var errEOF = io.EOF

func TestEchoTestFiniteSource(t *testing.T) {
	rec := newRecorder()
	err := EchoTest(context.Background(), &finite{tone.NewSine(audio.Mono8k, 700, 0.5), 8000}, rec, "PCMU")
	if err != nil {
		t.Fatal(err)
	}
	if n := rec.len(); n < 7000 || n > 9000 {
		t.Fatalf("echoed %d samples of 8000", n)
	}
}

func TestSymmetricRTPLatching(t *testing.T) {
	decoy, peer := rawPeer(t), rawPeer(t)
	s := newSession(t)
	// The SDP names the decoy; the peer's packets come from elsewhere (NAT).
	if _, err := s.Answer(remoteOffer(decoy.LocalAddr().(*net.UDPAddr).Port, "0")); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(tone.NewSine(audio.Mono8k, 700, 0.5), nil); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	decoy.SetReadDeadline(time.Now().Add(waitLimit))
	if _, err := decoy.Read(buf); err != nil {
		t.Fatalf("nothing sent to the SDP address before latching: %v", err)
	}
	pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: 9, SequenceNumber: 1, Timestamp: 160},
		Payload: make([]byte, 160)}).Marshal()
	if _, err := peer.WriteToUDPAddrPort(pkt, s.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	peer.SetReadDeadline(time.Now().Add(waitLimit))
	n, err := peer.Read(buf)
	if err != nil {
		t.Fatalf("no RTP to the latched source: %v", err)
	}
	var p rtp.Packet
	if err := p.Unmarshal(buf[:n]); err != nil || p.PayloadType != 0 || len(p.Payload) != 160 {
		t.Fatalf("latched packet %v %+v", err, p.Header)
	}
	if got := s.Stats().RemoteAddr; got != peer.LocalAddr().String() {
		t.Fatalf("RemoteAddr %s, want %s", got, peer.LocalAddr())
	}
}

func TestDTMFCancelEndsEvent(t *testing.T) {
	peer := rawPeer(t)
	s := newSession(t)
	if _, err := s.Answer(remoteOffer(peer.LocalAddr().(*net.UDPAddr).Port, "0 101", "a=rtpmap:101 telephone-event/8000")); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(nil, nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.SendDTMF(ctx, "1111") }()
	buf := make([]byte, 1500)
	peer.SetReadDeadline(time.Now().Add(waitLimit))
	var events []rtp.Packet
	for {
		n, err := peer.Read(buf)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		var p rtp.Packet
		p.Unmarshal(buf[:n])
		if p.PayloadType != 101 {
			if len(events) > 0 {
				break // audio again: the event sequence is over
			}
			continue
		}
		events = append(events, *p.Clone())
		if len(events) == 2 {
			cancel()
		}
	}
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("SendDTMF = %v, want context.Canceled", err)
	}
	// Start, one or two updates, then the end packet three times; one event.
	ends := 0
	for _, p := range events {
		if p.Timestamp != events[0].Timestamp {
			t.Fatalf("a second event started after cancel")
		}
		if p.Payload[1]&0x80 != 0 {
			ends++
		}
	}
	if ends != 3 || len(events) > 7 {
		t.Fatalf("%d packets with %d end packets after cancel", len(events), ends)
	}
}
