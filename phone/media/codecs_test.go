package media

import (
	"context"
	"encoding/binary"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"

	"switchboard/audio"
	"switchboard/audio/tone"
)

// defaultSession returns a session on loopback with the package's default codecs.
func defaultSession(t *testing.T) *Session {
	t.Helper()
	s, err := New(context.Background(), Config{LocalIP: loopback})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOfferDefaultCodecs(t *testing.T) {
	s := defaultSession(t)
	b, err := s.Offer()
	if err != nil {
		t.Fatal(err)
	}
	md := parseSDP(t, b).MediaDescriptions[0]
	if !slices.Equal(md.MediaName.Formats, []string{"111", "9", "0", "8", "101", "110"}) {
		t.Errorf("formats %v", md.MediaName.Formats)
	}
	if got := attrs(md, "rtpmap"); !slices.Equal(got, []string{"111 opus/48000/2", "9 G722/8000", "0 PCMU/8000",
		"8 PCMA/8000", "101 telephone-event/8000", "110 telephone-event/48000"}) {
		t.Errorf("rtpmap %v", got)
	}
	if got := attrs(md, "fmtp"); !slices.Equal(got, []string{"111 minptime=10;useinbandfec=1", "101 0-16", "110 0-16"}) {
		t.Errorf("fmtp %v", got)
	}
}

func TestOfferCodecOrder(t *testing.T) {
	for _, tc := range []struct {
		codecs  []string
		formats []string
	}{
		{[]string{"G722"}, []string{"9", "101"}},
		{[]string{"PCMA", "opus"}, []string{"8", "111", "101", "110"}},
		{[]string{"opus", "OPUS", "g722"}, []string{"111", "9", "101", "110"}}, // listed twice
	} {
		s := newSession(t, tc.codecs...)
		b, _ := s.Offer()
		if got := parseSDP(t, b).MediaDescriptions[0].MediaName.Formats; !slices.Equal(got, tc.formats) {
			t.Errorf("%v: formats %v, want %v", tc.codecs, got, tc.formats)
		}
	}
}

func TestAnswerOpus(t *testing.T) {
	// As baresip offers Opus: dynamic PT, stereo fmtp, telephone-event at
	// 8000 and 48000.
	s := defaultSession(t)
	ans, err := s.Answer(remoteOffer(40000, "96 0 101 102",
		"a=rtpmap:96 opus/48000/2", "a=fmtp:96 stereo=1;sprop-stereo=1;maxaveragebitrate=24000",
		"a=rtpmap:101 telephone-event/8000", "a=rtpmap:102 telephone-event/48000", "a=fmtp:102 0-15"))
	if err != nil {
		t.Fatal(err)
	}
	md := parseSDP(t, ans).MediaDescriptions[0]
	if !slices.Equal(md.MediaName.Formats, []string{"96", "102"}) {
		t.Errorf("formats %v", md.MediaName.Formats)
	}
	if got := attrs(md, "rtpmap"); !slices.Equal(got, []string{"96 opus/48000/2", "102 telephone-event/48000"}) {
		t.Errorf("rtpmap %v", got)
	}
	if got := attrs(md, "fmtp"); !slices.Equal(got, []string{"96 minptime=10;useinbandfec=1", "102 0-15"}) {
		t.Errorf("fmtp %v", got)
	}
	st := s.Stats()
	if st.Codec != "opus" || st.PayloadType != 96 || st.DTMFPayloadType != 102 || s.Format() != audio.Mono48k {
		t.Errorf("negotiated %s/%d te %d format %+v", st.Codec, st.PayloadType, st.DTMFPayloadType, s.Format())
	}
	s.mu.Lock()
	bitrate := s.enc.(interface{ Bitrate() int }).Bitrate()
	s.mu.Unlock()
	if bitrate != 24000 {
		t.Errorf("peer's maxaveragebitrate not applied: %d", bitrate)
	}
}

func TestAnswerTelephoneEventClock(t *testing.T) {
	for _, tc := range []struct {
		name   string
		offer  []byte
		codec  string
		te     int
		rtpmap []string
	}{
		{"opus with 8 kHz events only", remoteOffer(40000, "111 101",
			"a=rtpmap:111 opus/48000/2", "a=rtpmap:101 telephone-event/8000"),
			"opus", 101, []string{"111 opus/48000/2", "101 telephone-event/8000"}},
		{"PCMU picks the 8 kHz events", remoteOffer(40000, "0 110 101",
			"a=rtpmap:110 telephone-event/48000", "a=rtpmap:101 telephone-event/8000"),
			"PCMU", 101, []string{"0 PCMU/8000", "101 telephone-event/8000"}},
		{"PCMU with 48 kHz events only", remoteOffer(40000, "0 110",
			"a=rtpmap:110 telephone-event/48000"),
			"PCMU", 110, []string{"0 PCMU/8000", "110 telephone-event/48000"}},
		{"G.722 static, no rtpmap", remoteOffer(40000, "9 101", "a=rtpmap:101 telephone-event/8000"),
			"G722", 101, []string{"9 G722/8000", "101 telephone-event/8000"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := defaultSession(t)
			ans, err := s.Answer(tc.offer)
			if err != nil {
				t.Fatal(err)
			}
			md := parseSDP(t, ans).MediaDescriptions[0]
			if got := attrs(md, "rtpmap"); !slices.Equal(got, tc.rtpmap) {
				t.Errorf("rtpmap %v", got)
			}
			if st := s.Stats(); st.Codec != tc.codec || st.DTMFPayloadType != tc.te {
				t.Errorf("codec %s te %d", st.Codec, st.DTMFPayloadType)
			}
		})
	}
}

// TestAnswerRingCentralOpus16k: RingCentral offers Opus at 16000 Hz on PT
// 109 (not RFC 7587, which requires 48000); we accept it as Opus with a
// 16 kHz clock.
func TestAnswerRingCentralOpus16k(t *testing.T) {
	s := defaultSession(t)
	ans, err := s.Answer(remoteOffer(40000, "109 0 8 101",
		"a=rtpmap:109 OPUS/16000", "a=fmtp:109 useinbandfec=1", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15"))
	if err != nil {
		t.Fatal(err)
	}
	md := parseSDP(t, ans).MediaDescriptions[0]
	if got := attrs(md, "rtpmap"); !slices.Equal(got, []string{"109 opus/16000", "101 telephone-event/8000"}) {
		t.Errorf("rtpmap %v", got)
	}
	if got := attrs(md, "fmtp"); !slices.Equal(got, []string{"109 minptime=10;useinbandfec=1", "101 0-15"}) {
		t.Errorf("fmtp %v", got)
	}
	if st := s.Stats(); st.Codec != "opus" || st.PayloadType != 109 || s.Format() != audio.Mono16k {
		t.Errorf("negotiated %s/%d format %+v", st.Codec, st.PayloadType, s.Format())
	}
	s.mu.Lock()
	step := s.jb.tsPerFrame
	s.mu.Unlock()
	if step != 320 {
		t.Errorf("jitter buffer step %d, want 320 (20 ms at 16 kHz)", step)
	}
	// Without Opus in our list, OPUS/16000 is not a match.
	p := newSession(t, "PCMU")
	if _, err := p.Answer(remoteOffer(40000, "109 101", "a=rtpmap:109 OPUS/16000", "a=rtpmap:101 telephone-event/8000")); err == nil {
		t.Error("opus/16000 accepted by a PCMU-only session")
	}
	if err := p.CheckOffer(remoteOffer(40000, "109", "a=rtpmap:109 OPUS/16000")); err == nil {
		t.Error("CheckOffer accepted opus/16000 for a PCMU-only session")
	}
	if err := s.CheckOffer(remoteOffer(40000, "109", "a=rtpmap:109 OPUS/16000")); err != nil {
		t.Errorf("CheckOffer: %v", err)
	}
}

func TestSetAnswerOpus(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer []string
		clock  int
		te     int
	}{
		{"48 kHz events", []string{"111 110", "a=rtpmap:111 opus/48000/2", "a=rtpmap:110 telephone-event/48000"}, 48000, 110},
		{"8 kHz events", []string{"111 101", "a=rtpmap:111 opus/48000/2", "a=rtpmap:101 telephone-event/8000"}, 48000, 101},
		{"both, 48 kHz first choice", []string{"111 101 110", "a=rtpmap:111 opus/48000/2",
			"a=rtpmap:101 telephone-event/8000", "a=rtpmap:110 telephone-event/48000"}, 48000, 110},
		{"answered as OPUS/16000", []string{"111 101", "a=rtpmap:111 OPUS/16000", "a=rtpmap:101 telephone-event/8000"}, 16000, 101},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := defaultSession(t)
			if _, err := s.Offer(); err != nil {
				t.Fatal(err)
			}
			if err := s.SetAnswer(remoteOffer(40000, tc.answer[0], tc.answer[1:]...)); err != nil {
				t.Fatal(err)
			}
			st := s.Stats()
			if st.Codec != "opus" || st.PayloadType != 111 || st.DTMFPayloadType != tc.te || s.Format().Rate != tc.clock {
				t.Errorf("codec %s/%d te %d format %+v", st.Codec, st.PayloadType, st.DTMFPayloadType, s.Format())
			}
			// A re-offer keeps Opus first and the negotiated event type.
			re, err := s.Reoffer(SendOnly)
			if err != nil {
				t.Fatal(err)
			}
			f := parseSDP(t, re).MediaDescriptions[0].MediaName.Formats
			if f[0] != "111" || !slices.Contains(f, "101") || !slices.Contains(f, strconv.Itoa(tc.te)) {
				t.Errorf("re-offer formats %v", f)
			}
		})
	}
}

// wideCall connects two sessions speaking only codec and plays native-rate
// tones: 700 Hz from A, 1300 Hz from B.
func wideCall(t *testing.T, codecName string, f audio.Format) *call {
	t.Helper()
	cfg := Config{LocalIP: loopback, Codecs: []string{codecName}}
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
	connect(t, a, b, nil)
	if a.Format() != f || b.Format() != f {
		t.Fatalf("formats %+v %+v, want %+v", a.Format(), b.Format(), f)
	}
	c := &call{a: a, b: b, recA: newRecorder(), recB: newRecorder()}
	c.recA.f, c.recB.f = f, f
	if err := a.Start(tone.NewSine(f, 700, 0.5), c.recA); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(tone.NewSine(f, 1300, 0.5), c.recB); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCallOpus(t *testing.T) {
	c := wideCall(t, "opus", audio.Mono48k)
	c.recB.waitTone(t, 0, 700)
	c.recA.waitTone(t, 0, 1300)
	for _, s := range []*Session{c.a, c.b} {
		st := s.Stats()
		if st.Codec != "opus" || st.PayloadType != 111 || st.DTMFPayloadType != 110 {
			t.Errorf("stats %+v", st)
		}
		if st.PacketsLost != 0 || st.Ignored != 0 || st.Jitter > 20*time.Millisecond {
			t.Errorf("loss/ignored/jitter on loopback: %+v", st)
		}
		if kbit := float64(st.BytesReceived) * 8 / 1000 / (float64(st.PacketsReceived) * 0.02); kbit < 16 || kbit > 48 {
			t.Errorf("opus at %.1f kbit/s", kbit)
		}
	}
	// DTMF with 48 kHz telephone-event.
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := c.b.SendDTMF(ctx, "9"); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-c.a.DTMF():
		if r != '9' {
			t.Errorf("digit %q", r)
		}
	case <-ctx.Done():
		t.Fatal("no digit")
	}
}

func TestCallG722(t *testing.T) {
	c := wideCall(t, "G722", audio.Mono16k)
	c.recB.waitTone(t, 0, 700)
	c.recA.waitTone(t, 0, 1300)
	st := c.b.Stats()
	if st.Codec != "G722" || st.PayloadType != 9 || st.BytesReceived != 160*st.PacketsReceived || st.PacketsLost != 0 {
		t.Errorf("stats %+v", st)
	}
	// RTP timestamps advance 160 per 20 ms although frames hold 320 samples:
	// the jitter buffer never sees gaps, so nothing is concealed.
	if jb := st.JitterBuffer; jb.Lost > 2 || jb.Played < 10 {
		t.Errorf("jitter buffer %+v", jb)
	}
}

// TestOpusLossConcealed: every 10th Opus packet from A to B is dropped; B
// conceals with FEC/PLC and the tone stays clean.
func TestOpusLossConcealed(t *testing.T) {
	a, b := newSession(t, "opus"), newSession(t, "opus")
	pa, pb := rawPeer(t), rawPeer(t)
	forward := func(in, out *net.UDPConn, to func() net.Addr, drop bool) {
		buf := make([]byte, 1500)
		for {
			n, err := in.Read(buf)
			if err != nil {
				return
			}
			var p rtp.Packet
			if drop && p.Unmarshal(buf[:n]) == nil && p.PayloadType == 111 && p.SequenceNumber%10 == 0 {
				continue
			}
			out.WriteTo(buf[:n], to())
		}
	}
	go forward(pa, pb, func() net.Addr { return net.UDPAddrFromAddrPort(b.LocalAddr()) }, true)
	go forward(pb, pa, func() net.Addr { return net.UDPAddrFromAddrPort(a.LocalAddr()) }, false)
	port := func(c *net.UDPConn) string { return strconv.Itoa(c.LocalAddr().(*net.UDPAddr).Port) }
	offer, _ := a.Offer()
	ans, err := b.Answer([]byte(strings.Replace(string(offer), "m=audio "+strconv.Itoa(int(a.LocalAddr().Port())), "m=audio "+port(pb), 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetAnswer([]byte(strings.Replace(string(ans), "m=audio "+strconv.Itoa(int(b.LocalAddr().Port())), "m=audio "+port(pa), 1))); err != nil {
		t.Fatal(err)
	}
	recB := newRecorder()
	recB.f = audio.Mono48k
	a.Start(tone.NewSine(audio.Mono48k, 700, 0.5), nil)
	b.Start(nil, recB)
	got := recB.waitSamples(t, 0, 48000*2)
	st := b.Stats()
	if st.PacketsLost == 0 || st.JitterBuffer.Lost == 0 {
		t.Fatalf("nothing lost: %+v", st)
	}
	// Every 20 ms frame after start-up carries the tone: dropped packets
	// leave no holes. FEC restores a frame at full level; PLC (used when the
	// next packet is not buffered yet) may come out a few dB quieter, and
	// the decoder fades back in over the frame after it, so at most two
	// quiet frames per concealed one, and none may be near-silent. A
	// machine stall can still starve the buffer (packets then arrive after
	// their slot and count as Late); only those may leave a hole.
	frames := got[48000/2:]
	quiet, holes := 0, 0
	for i := 0; i+960 <= len(frames); i += 960 {
		l := audio.DBFS(audio.RMS(frames[i : i+960]))
		if l < -16 {
			quiet++
			t.Logf("frame %d at %.1f dBFS", i/960, l)
		}
		if l < -40 {
			holes++
		}
	}
	jb := b.Stats().JitterBuffer
	if uint64(quiet) > 2*jb.Lost {
		t.Errorf("%d quiet frames but only %d concealed", quiet, jb.Lost)
	}
	if uint64(holes) > jb.Late {
		t.Errorf("%d silent frames, only %d late packets: loss left holes (lost %d)", holes, jb.Late, jb.Lost)
	}
	hz, share := audio.DominantFrequency(frames, 48000, 300, 2000, 10)
	if hz < 690 || hz > 710 || share < 0.8 {
		t.Errorf("tone %.0f Hz share %.2f with loss", hz, share)
	}
	t.Logf("B lost %d packets, concealed %d frames", st.PacketsLost, st.JitterBuffer.Lost)
}

// TestDTMFWireFormat48k: with Opus and telephone-event/48000, event
// durations count 960 per 20 ms.
func TestDTMFWireFormat48k(t *testing.T) {
	peer := rawPeer(t)
	s := defaultSession(t)
	if _, err := s.Answer(remoteOffer(peer.LocalAddr().(*net.UDPAddr).Port, "111 110",
		"a=rtpmap:111 opus/48000/2", "a=rtpmap:110 telephone-event/48000")); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(tone.NewSine(audio.Mono48k, 700, 0.5), nil); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.SendDTMF(context.Background(), "3") }()
	var durs []uint16
	buf := make([]byte, 1500)
	peer.SetReadDeadline(time.Now().Add(waitLimit))
	for len(durs) < 7 {
		n, err := peer.Read(buf)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		var p rtp.Packet
		if err := p.Unmarshal(buf[:n]); err != nil {
			t.Fatal(err)
		}
		if p.PayloadType == 110 {
			durs = append(durs, binary.BigEndian.Uint16(p.Payload[2:]))
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if want := []uint16{960, 1920, 2880, 3840, 4800, 4800, 4800}; !slices.Equal(durs, want) {
		t.Errorf("durations %v, want %v", durs, want)
	}
}

func TestEchoTestWideband(t *testing.T) {
	for _, tc := range []struct {
		codec string
		f     audio.Format
	}{{"opus", audio.Mono48k}, {"G722", audio.Mono16k}} {
		rec := newRecorder()
		rec.f = tc.f
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- EchoTest(ctx, tone.NewSine(tc.f, 900, 0.5), rec, tc.codec) }()
		rec.waitTone(t, 0, 900)
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s: %v", tc.codec, err)
		}
	}
}

// playoutRig is a negotiated, receiving session fed by hand: packets go
// straight into its jitter buffer and frames come from playoutFrame.
type playoutRig struct {
	s    *Session
	pt   uint8
	step uint32
	pkts [][]byte // one second of a 700 Hz tone, encoded
	ts   uint32
	out  []int16
}

func newPlayoutRig(t testing.TB, name string) *playoutRig {
	t.Helper()
	s, peer := newSession(t, name), newSession(t, name)
	offer, _ := s.Offer()
	ans, err := peer.Answer(offer)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetAnswer(ans); err != nil {
		t.Fatal(err)
	}
	peer.mu.Lock()
	enc, pt := peer.enc, peer.pt
	peer.mu.Unlock()
	f := enc.Format()
	src := tone.NewSine(f, 700, 0.5)
	pcm := make([]int16, f.SamplesPer(20))
	r := &playoutRig{s: s, pt: pt, step: uint32(enc.ClockRate() / 50), out: make([]int16, 48000*2*60/1000)}
	for range 50 {
		src.Read(pcm)
		buf := make([]byte, 1500)
		m, err := enc.Encode(buf, pcm)
		if err != nil {
			t.Fatal(err)
		}
		r.pkts = append(r.pkts, buf[:m])
	}
	s.mu.Lock()
	s.desired, s.localDir, s.remoteDir = SendRecv, SendRecv, SendRecv
	s.mu.Unlock()
	return r
}

// push queues frame i (its packet unless lost) and plays one frame.
func (r *playoutRig) frame(i int, lost bool) []int16 {
	r.s.mu.Lock()
	if !lost {
		r.s.jb.Push(r.ts+uint32(i)*r.step, r.pt, r.pkts[i%len(r.pkts)])
	}
	r.s.mu.Unlock()
	out, _ := r.s.playoutFrame(r.out)
	return out
}

// TestG711ConcealmentPath: a lost PCMU frame is filled by spandsp's PLC
// (the tone goes on at nearly full level), not faded or silenced.
func TestG711ConcealmentPath(t *testing.T) {
	r := newPlayoutRig(t, "PCMU")
	var good, lost []int16
	for i := range 40 {
		out := r.frame(i, i == 20)
		if i == 19 {
			good = append([]int16(nil), out...)
		}
		r.s.mu.Lock()
		n := r.s.conceal.losses()
		r.s.mu.Unlock()
		if n == 1 && lost == nil {
			lost = append([]int16(nil), out...)
		}
	}
	if lost == nil {
		t.Fatal("no frame was concealed")
	}
	hz, share := audio.DominantFrequency(lost, 8000, 300, 2000, 10)
	drop := audio.DBFS(audio.RMS(good)) - audio.DBFS(audio.RMS(lost))
	if hz < 690 || hz > 710 || share < 0.8 || drop > 3 {
		t.Errorf("concealed frame: %.0f Hz share %.2f, %.1f dB below the last good one", hz, share, drop)
	}
	t.Logf("concealed PCMU frame: %.0f Hz, %.1f dB below the last good one", hz, drop)
}

// TestOpusConcealmentPath: a lost Opus frame is concealed by the decoder
// (FEC from the buffered next frame), not by the generic fade-out.
func TestOpusConcealmentPath(t *testing.T) {
	r := newPlayoutRig(t, "opus")
	var lostOut []int16
	for i := range 40 {
		out := r.frame(i, i == 20)
		r.s.mu.Lock()
		generic := r.s.conceal.losses()
		r.s.mu.Unlock()
		if generic != 0 {
			t.Fatalf("frame %d concealed by the generic concealer", i)
		}
		if i >= 20 && lostOut == nil && len(out) == 960 {
			st := r.s.jb.Stats()
			if st.Lost == 1 {
				lostOut = append([]int16(nil), out...)
			}
		}
	}
	if lostOut == nil {
		t.Fatal("no frame was reported lost")
	}
	if hz, share := audio.DominantFrequency(lostOut, 48000, 300, 2000, 10); hz < 690 || hz > 710 || share < 0.8 ||
		audio.DBFS(audio.RMS(lostOut)) < -14 {
		t.Errorf("concealed frame: %.0f Hz share %.2f %.1f dBFS", hz, share, audio.DBFS(audio.RMS(lostOut)))
	}
}

func BenchmarkPlayout(b *testing.B) {
	for _, name := range []string{"PCMU", "G722", "opus"} {
		b.Run(name, func(b *testing.B) {
			r := newPlayoutRig(b, name)
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				r.frame(i, false)
				i++
			}
		})
	}
}
