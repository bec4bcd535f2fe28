// Package media carries the audio of plain SIP calls: SDP offer/answer
// (RFC 3264, with pion/sdp), RTP (RFC 3550, with pion/rtp) over UDP with
// symmetric-RTP latching, a small jitter buffer, RTCP sender/receiver
// reports, hold/resume by re-INVITE directions, RFC 4733 DTMF events, and
// SRTP/SRTCP (RFC 3711, with pion/srtp) keyed by SDES a=crypto lines (RFC
// 4568) per Config.SRTP.
//
// A Session is one audio stream of one call. Typical outgoing call:
//
//	s, _ := media.New(ctx, media.Config{LocalIP: ip, Codecs: []string{"PCMU", "PCMA"}})
//	offer, _ := s.Offer()          // into the INVITE
//	_ = s.SetAnswer(answerFromPeer) // from the 200 OK
//	_ = s.Start(mic, speaker)
//	defer s.Close()
//
// The package never imports the phone package, the SIP stack or audio
// devices: it is driven with SDP bodies and audio.Source / audio.Sink.
//
// Audio format: the Source and Sink given to Start and SetAudio must be in
// the negotiated codec's format (Session.Format: 8 kHz mono for G.711,
// 16 kHz for G.722, 48 kHz for Opus, 16 kHz for Opus offered at 16000 Hz).
// The session does not resample: the caller adapts devices with
// audio/resample.
package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"switchboard/audio"
	"switchboard/audio/codec"
)

// Errors of the session's life cycle.
var (
	// ErrClosed is returned by methods called after Close.
	ErrClosed = errors.New("media: session closed")
	// ErrNotNegotiated is returned by Start and SendDTMF before an
	// offer/answer exchange completed.
	ErrNotNegotiated = errors.New("media: no SDP negotiated yet")
	// ErrStarted is returned by a second Start.
	ErrStarted = errors.New("media: session already started")
	// ErrNotStarted is returned by SendDTMF before Start.
	ErrNotStarted = errors.New("media: session not started")
	// ErrNotSending is returned by SendDTMF while the stream sends nothing:
	// we hold the call, or the peer declared recvonly/inactive.
	ErrNotSending = errors.New("media: not sending media (hold or peer not receiving)")
	// ErrNoOffer is returned by SetAnswer when no offer of ours is pending.
	ErrNoOffer = errors.New("media: no offer outstanding")
	// ErrFormat means a Source or Sink is not in the codec's format.
	ErrFormat = errors.New("media: audio format does not match the codec")
)

// Config sets up a Session.
type Config struct {
	// LocalIP is bound and advertised in c= and o=. It must be a concrete
	// address (not 0.0.0.0 / ::).
	LocalIP netip.Addr
	// PortMin and PortMax bound the RTP port (even; RTCP uses RTP+1).
	// 0, 0 picks any free pair.
	PortMin, PortMax int
	// Codecs in preference order (names from audio/codec: "opus", "G722",
	// "PCMU", "PCMA"). Empty means DefaultCodecs. telephone-event is always
	// offered at 8000 Hz (PT 101), and at 48000 Hz (PT 110) when Opus is.
	Codecs []string
	// Logger receives debug/warn messages; nil discards them.
	Logger *slog.Logger
	// RTCPInterval between RTCP reports; 0 means 5 s.
	RTCPInterval time.Duration
	// JitterFrames fixes the jitter buffer target in 20 ms frames; 0 means
	// adaptive: start at JitterMinFrames (40 ms), grow on late packets up
	// to JitterMaxFrames (200 ms), shrink back when arrival is stable.
	JitterFrames int
	// SRTP is the media encryption policy; the zero value is SRTPOff.
	// Master keys are random per Session (crypto/rand) and never logged.
	SRTP SRTPPolicy
	// SRTPSuites are the SDES crypto suites we offer, in preference order
	// (names from SRTPSuites()); empty means DefaultSRTPSuites. Answers
	// accept any suite of SRTPSuites() the peer offers.
	SRTPSuites []string
	// STUNServer ("host:port"), if set, is asked for the public address of
	// the RTP socket, which the SDP then advertises (NAT); on no answer the
	// local address is used.
	STUNServer string
}

// Adaptive jitter buffer bounds (Config.JitterFrames == 0), in 20 ms frames.
const (
	JitterMinFrames = 2  // 40 ms
	JitterMaxFrames = 10 // 200 ms
)

// DefaultCodecs is the codec preference used when Config.Codecs is empty:
// Opus (PT 111, opus/48000/2), G.722 (PT 9), then G.711 µ-law and A-law.
var DefaultCodecs = []string{"opus", "G722", "PCMU", "PCMA"}

// Stats is a snapshot of a Session's counters.
type Stats struct {
	Codec           string // negotiated codec name ("" before negotiation)
	PayloadType     int    // its RTP payload type, -1 before negotiation
	DTMFPayloadType int    // negotiated telephone-event PT, -1 if none
	LocalAddr       string // our RTP address
	RemoteAddr      string // where we send RTP (latched or from SDP)
	LocalDirection  Direction
	RemoteDirection Direction

	PacketsSent     uint64 // RTP packets sent (audio and DTMF)
	BytesSent       uint64 // RTP payload octets sent
	PacketsReceived uint64 // RTP packets received from the peer's SSRC
	BytesReceived   uint64
	PacketsLost     uint64        // cumulative loss per RFC 3550 (expected − received)
	Jitter          time.Duration // RFC 3550 interarrival jitter
	Ignored         uint64        // datagrams that were not RTP or had an unknown PT
	DTMFSent        uint64        // digits sent
	DTMFReceived    uint64        // digits received

	JitterBuffer JitterStats // playout buffer counters
	// JitterBufferDelay is the playout buffer's current target delay.
	JitterBufferDelay time.Duration
	// MOS is the estimated mean opinion score of what we receive (ITU-T
	// G.107 E-model, simplified; see EstimateMOS) from the codec, the
	// received loss including packets that came too late to play, and a
	// one-way delay of half the RTT plus the jitter buffer delay plus one
	// frame. 0 before any packet was received.
	MOS float64

	RTCPSent           uint64
	RTCPReceived       uint64
	RemoteFractionLost float64       // loss of our stream as reported by the peer (0..1)
	RemotePacketsLost  uint64        // cumulative, as reported by the peer
	RemoteJitter       time.Duration // jitter of our stream as seen by the peer
	RTT                time.Duration // round trip from RTCP (0 until known)

	// SRTP is the negotiated SRTP crypto suite, e.g.
	// "AES_CM_128_HMAC_SHA1_80"; "" when the media is plain RTP.
	SRTP string
	// SRTPFailures counts SRTP/SRTCP packets that failed authentication or
	// decryption (wrong key, tampering, replay, plain RTP while encrypted);
	// they are also counted in Ignored when they are RTP.
	SRTPFailures uint64
}

// pendingOffer remembers an offer of ours awaiting its answer.
type pendingOffer struct {
	payloads []payloadDesc
	dir      Direction
	prevDir  Direction    // desired direction before the offer (rollback)
	crypto   []cryptoAttr // a=crypto lines offered (none: plain RTP)
}

// Session is one RTP audio stream. All methods are safe for concurrent use.
type Session struct {
	log      *slog.Logger
	ctx      context.Context
	cancel   context.CancelFunc
	stopWait func() bool
	rtpConn  *net.UDPConn
	rtcpConn *net.UDPConn
	localRTP netip.AddrPort
	// advertised is where the SDP says to send RTP: localRTP, or the
	// STUN-mapped address.
	advertised netip.AddrPort
	ssrc       uint32
	cname      string
	epoch      time.Time
	rtcpIvl    time.Duration
	jbTarget   int

	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error

	dtmfQ   chan *dtmfJob
	dtmfOut chan rune

	packetsSent, bytesSent, ignored, dtmfSent, dtmfRecv atomic.Uint64
	rtcpSent, rtcpRecv                                  atomic.Uint64
	srtpFail                                            atomic.Uint64

	srtpPolicy  SRTPPolicy    // immutable after New
	offerSuites []*srtpSuite  // immutable after New
	sec         srtpTransform // negotiated SRTP contexts (own mutex; set under mu)

	// srcMu and sinkMu are held while the send loop reads the source and
	// the playout loop writes the sink, and by SetAudio, so that once
	// SetAudio returns this session no longer touches the old pair (the
	// phone hands the microphone to another call right after). Lock order:
	// srcMu, sinkMu, mu.
	srcMu, sinkMu sync.Mutex
	mu            sync.Mutex
	closed        bool
	started       bool
	local         []payloadDesc // codecs we offer, in preference order (no TE)
	sessID        uint64
	sessVer       uint64
	lastBody      string   // last SDP we produced, origin line excluded
	keys          srtpKeys // our SRTP master keys, one per suite
	proto         string   // m= transport of the last negotiation
	desired       Direction
	pending       *pendingOffer
	negotiated    bool
	enc           codec.Codec
	pt            uint8
	tePT          int   // telephone-event PT we send DTMF with, -1 if none
	teClock       int   // its clock rate
	teRecv        []int // telephone-event PTs we accept (the peer's may differ from ours)
	lastPT        int   // payload type of the last frame played, -1 before
	decoders      map[uint8]codec.Codec
	localDir      Direction
	remoteDir     Direction
	remoteRTP     netip.AddrPort
	remoteRTCP    netip.AddrPort
	latched       netip.AddrPort
	latchedAt     time.Time // last packet from latched
	rtcpFrom      netip.AddrPort
	src           audio.Source
	sink          audio.Sink
	jb            *JitterBuffer
	conceal       lossConcealer
	rx            rxStats
	dtmfDet       dtmfDetector
	// sender report clock: RTP timestamp txTS was due at txTime.
	txTS      uint32
	txTime    time.Time
	txClock   int
	sentSince bool // RTP sent since the last RTCP report
	// RTCP reception state
	lastSR     uint32 // middle 32 bits of the peer's last SR NTP time
	lastSRAt   time.Time
	remoteFrac float64
	remoteLost uint64
	remoteJit  time.Duration
	rtt        time.Duration
}

// New binds the RTP/RTCP sockets on cfg.LocalIP and returns an idle
// Session. Its goroutines (started by Start) stop on Close or when ctx ends;
// ending ctx also closes the session.
func New(ctx context.Context, cfg Config) (*Session, error) {
	if !cfg.LocalIP.IsValid() || cfg.LocalIP.IsUnspecified() {
		return nil, fmt.Errorf("media: LocalIP must be a concrete address, got %v", cfg.LocalIP)
	}
	names := cfg.Codecs
	if len(names) == 0 {
		names = DefaultCodecs
	}
	s := &Session{
		conceal:  &concealer{},
		log:      cfg.Logger,
		ssrc:     rand.Uint32(),
		epoch:    time.Now(),
		rtcpIvl:  cfg.RTCPInterval,
		jbTarget: cfg.JitterFrames,
		dtmfQ:    make(chan *dtmfJob),
		dtmfOut:  make(chan rune, 64),
		sessID:   rand.Uint64N(1 << 62),
		sessVer:  1,
		tePT:     -1,
		lastPT:   -1,
		keys:     srtpKeys{},
	}
	switch cfg.SRTP {
	case SRTPOff, SRTPOptional, SRTPMandatory:
		s.srtpPolicy = cfg.SRTP
		s.sec.require = cfg.SRTP == SRTPMandatory
	default:
		return nil, fmt.Errorf("media: unknown SRTP policy %d", cfg.SRTP)
	}
	suites := cfg.SRTPSuites
	if len(suites) == 0 {
		suites = DefaultSRTPSuites
	}
	for _, n := range suites {
		su := suiteByName(n)
		if su == nil {
			return nil, fmt.Errorf("media: unknown SRTP crypto suite %q (known: %s)", n, strings.Join(SRTPSuites(), ", "))
		}
		if !slices.Contains(s.offerSuites, su) {
			s.offerSuites = append(s.offerSuites, su)
		}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.rtcpIvl <= 0 {
		s.rtcpIvl = 5 * time.Second
	}
	s.jbTarget = max(s.jbTarget, 0) // 0: adaptive
	used := map[uint8]bool{defaultTEPayloadType: true, te48kPayloadType: true}
	seen := map[string]bool{}
	nextDyn := uint8(96)
	for _, n := range names {
		c, ok := codec.ByName(n)
		if !ok && slices.Contains(DefaultCodecs, n) {
			// A standard codec this build lacks (G.722 on the Windows
			// build, Opus and G.722 without cgo): offer the others.
			continue
		}
		if !ok {
			return nil, fmt.Errorf("media: unknown codec %q (known: %s)", n, strings.Join(codec.Names(), ", "))
		}
		key := strings.ToUpper(c.Name())
		if seen[key] {
			continue // listed twice
		}
		seen[key] = true
		pt, static := staticPayloadTypes[key]
		if !static {
			var pref bool
			if pt, pref = preferredPayloadTypes[key]; !pref || used[pt] {
				for used[nextDyn] {
					nextDyn++
				}
				pt = nextDyn
			}
		}
		used[pt] = true
		s.local = append(s.local, describe(c, pt))
	}
	rtpC, rtcpC, err := bindPair(cfg.LocalIP, cfg.PortMin, cfg.PortMax)
	if err != nil {
		return nil, err
	}
	s.rtpConn, s.rtcpConn = rtpC, rtcpC
	s.localRTP = rtpC.LocalAddr().(*net.UDPAddr).AddrPort()
	s.advertised = s.localRTP
	if cfg.STUNServer != "" {
		if m, err := discoverMapped(ctx, rtpC, cfg.STUNServer); err == nil {
			s.advertised = m
		} else if s.log != nil {
			s.log.Info("STUN: using the local address", "err", err)
		}
	}
	s.cname = fmt.Sprintf("switchboard-%08x@%s", s.ssrc, cfg.LocalIP)
	s.log = s.log.With("rtp", s.localRTP.String())
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.stopWait = context.AfterFunc(ctx, func() { s.Close() })
	return s, nil
}

// bindPair binds an even RTP port and RTP+1 for RTCP.
func bindPair(ip netip.Addr, lo, hi int) (*net.UDPConn, *net.UDPConn, error) {
	try := func(port int) (*net.UDPConn, *net.UDPConn, error) {
		a, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port))))
		if err != nil {
			return nil, nil, err
		}
		p := a.LocalAddr().(*net.UDPAddr).Port
		if p%2 != 0 || p >= 65535 {
			a.Close()
			return nil, nil, fmt.Errorf("odd port %d", p)
		}
		b, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(p+1))))
		if err != nil {
			a.Close()
			return nil, nil, err
		}
		return a, b, nil
	}
	if lo == 0 && hi == 0 {
		var err error
		for range 64 {
			var a, b *net.UDPConn
			if a, b, err = try(0); err == nil {
				return a, b, nil
			}
		}
		return nil, nil, fmt.Errorf("media: no free RTP/RTCP port pair on %s: %w", ip, err)
	}
	if lo <= 0 || hi > 65535 || hi < lo+1 {
		return nil, nil, fmt.Errorf("media: bad RTP port range %d-%d", lo, hi)
	}
	lo += lo % 2
	n := (hi-lo)/2 + 1 // even ports p with p+1 <= hi
	if lo+2*(n-1)+1 > hi {
		n--
	}
	if n <= 0 {
		return nil, nil, fmt.Errorf("media: RTP port range %d-%d holds no even/odd pair", lo, hi)
	}
	start := rand.IntN(n)
	var err error
	for i := range n {
		port := lo + 2*((start+i)%n)
		var a, b *net.UDPConn
		if a, b, err = try(port); err == nil {
			return a, b, nil
		}
	}
	return nil, nil, fmt.Errorf("media: no free RTP port in %d-%d on %s: %w", lo, hi, ip, err)
}

// LocalAddr is the bound RTP address.
func (s *Session) LocalAddr() netip.AddrPort { return s.localRTP }

// Offer returns our initial SDP offer (all configured codecs and
// telephone-event at 8000 Hz, and at 48000 Hz when a 48 kHz codec such as
// Opus is offered; direction sendrecv unless Reoffer changed it).
func (s *Session) Offer() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offerLocked(s.desired)
}

// Reoffer returns a new offer for a re-INVITE with direction dir: SendOnly
// holds the call, SendRecv resumes it. The o= version is incremented. A hold
// takes effect at once (we stop sending and playing); a resume takes effect
// when SetAnswer applies the peer's answer. If the re-INVITE fails, call
// RollbackOffer.
//
// Hold semantics: while we hold (SendOnly or Inactive) the session sends
// no RTP at all (no music on hold) and plays nothing; RTCP continues.
func (s *Session) Reoffer(dir Direction) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offerLocked(dir)
}

func (s *Session) offerLocked(dir Direction) ([]byte, error) {
	if s.closed {
		return nil, ErrClosed
	}
	var payloads []payloadDesc
	used := map[uint8]bool{}
	if s.negotiated {
		p := describe(s.enc, s.pt)
		payloads = append(payloads, p)
		used[p.pt] = true
	}
	// telephone-event at 8000 Hz always, and at the clock of every other
	// codec we offer that we have a payload type for (48000: Opus). After a
	// negotiation its payload type is kept.
	clocks := []int{8000}
	if s.negotiated && !slices.Contains(clocks, s.enc.ClockRate()) {
		clocks = append(clocks, s.enc.ClockRate())
	}
	for _, p := range s.local {
		if !slices.Contains(clocks, p.clock) && tePayloadType(p.clock) != 0 {
			clocks = append(clocks, p.clock)
		}
	}
	var tes []payloadDesc
	for _, clock := range clocks {
		te := payloadDesc{pt: tePayloadType(clock), name: telephoneEvent, clock: clock, fmtp: "0-16"}
		if s.tePT >= 0 && s.teClock == clock {
			te.pt = uint8(s.tePT)
		}
		if te.pt == 0 || used[te.pt] {
			continue
		}
		used[te.pt] = true
		tes = append(tes, te)
	}
	nextDyn := uint8(96)
	for _, p := range s.local {
		if s.negotiated && p.matches(payloads[0]) {
			continue
		}
		if used[p.pt] {
			for used[nextDyn] {
				nextDyn++
			}
			p.pt = nextDyn
		}
		used[p.pt] = true
		payloads = append(payloads, p)
	}
	payloads = append(payloads, tes...)
	proto, crypto := s.offerCryptoLocked()
	out, err := s.describeLocked(dir, payloads, proto, crypto)
	if err != nil {
		return nil, err
	}
	prev := s.desired
	if s.pending != nil {
		prev = s.pending.prevDir
	}
	s.pending = &pendingOffer{payloads: payloads, dir: dir, prevDir: prev, crypto: crypto}
	s.desired = dir
	return out, nil
}

// RollbackOffer forgets a pending offer whose re-INVITE failed and returns
// to the direction wanted before it.
func (s *Session) RollbackOffer() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending != nil {
		s.desired = s.pending.prevDir
		s.pending = nil
	}
}

// describeLocked marshals one SDP of ours, bumping o= version if it differs
// from the previous one.
func (s *Session) describeLocked(dir Direction, payloads []payloadDesc, proto string, crypto []cryptoAttr) ([]byte, error) {
	d := localDescription{sessionID: s.sessID, version: s.sessVer, addr: s.advertised.Addr(),
		port: int(s.advertised.Port()), dir: dir, payloads: payloads, proto: proto, crypto: crypto}
	out, err := d.marshal()
	if err != nil {
		return nil, fmt.Errorf("media: marshal SDP: %w", err)
	}
	body := string(out)
	if i := strings.Index(body, "\ns="); i >= 0 {
		body = body[i:]
	}
	if s.lastBody != "" && body != s.lastBody {
		s.sessVer++
		d.version = s.sessVer
		if out, err = d.marshal(); err != nil {
			return nil, fmt.Errorf("media: marshal SDP: %w", err)
		}
	}
	s.lastBody = body
	return out, nil
}

// Answer negotiates the remote's offer and returns our answer: the first
// codec of our preference list the peer offers (with the peer's payload
// type and our fmtp; Opus offered at 16000 Hz, as RingCentral does, is
// accepted as Opus), telephone-event with the peer's payload type at the
// codec's clock rate if offered, else at 8000 Hz, else at any rate, and the
// direction both sides allow. With SRTP (see SRTPPolicy) the first usable
// a=crypto line of the offer is answered with the same tag and suite and
// our own key, on the offer's transport. Errors wrap ErrBadSDP,
// ErrNoCommonCodec, ErrUnsupportedTransport, ErrSRTPRequired or
// ErrBadCrypto and say why.
func (s *Session) Answer(remoteOffer []byte) ([]byte, error) {
	return s.answer(remoteOffer)
}

// UpdateRemote handles a re-INVITE offer from the peer (hold, resume,
// address change) and returns our answer. The current codec is kept when
// the peer still offers it. RemoteDirection reports the peer's new
// direction (SendOnly or Inactive: the peer holds us).
func (s *Session) UpdateRemote(remoteSDP []byte) ([]byte, error) {
	return s.answer(remoteSDP)
}

// CheckOffer reports whether we could answer remoteOffer (well-formed SDP,
// a codec in common, a transport and a=crypto the SRTP policy accepts)
// without changing the session, so a call can be refused with 488 before
// it rings.
func (s *Session) CheckOffer(remoteOffer []byte) error {
	rm, err := parseRemote(remoteOffer)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := pickCodec(rm.payloads, s.local); ok {
		_, err := s.answerCryptoLocked(rm)
		return err
	}
	return fmt.Errorf("%w: the peer offers %s, we support %s", ErrNoCommonCodec,
		payloadNames(rm.payloads), payloadNames(s.local))
}

func (s *Session) answer(raw []byte) ([]byte, error) {
	rm, err := parseRemote(raw)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	order := s.local
	if s.negotiated {
		cur := describe(s.enc, s.pt)
		order = append([]payloadDesc{cur}, order...)
	}
	chosen, found := pickCodec(rm.payloads, order)
	if !found {
		return nil, fmt.Errorf("%w: the peer offers %s, we support %s", ErrNoCommonCodec,
			payloadNames(rm.payloads), payloadNames(s.local))
	}
	payloads := []payloadDesc{{pt: chosen.pt, name: chosen.name, clock: chosen.clock, channels: chosen.channels,
		fmtp: localFMTP(chosen)}}
	var tes []payloadDesc
	if p, ok := findTE(rm.payloads, chosen.clock); ok {
		tes = append(tes, p)
		fmtp := p.fmtp
		if fmtp == "" {
			fmtp = "0-16"
		}
		payloads = append(payloads, payloadDesc{pt: p.pt, name: telephoneEvent, clock: p.clock, fmtp: fmtp})
	}
	crypto, err := s.answerCryptoLocked(rm)
	if err != nil {
		return nil, err
	}
	proto := "RTP/AVP"
	var lines []cryptoAttr
	if crypto != nil {
		if rm.secure {
			proto = rm.proto
		}
		lines = []cryptoAttr{{tag: crypto.tag, suite: crypto.suite, key: s.keys.get(crypto.suite)}}
	}
	dir := answerDirection(s.desired, rm.dir)
	out, err := s.describeLocked(dir, payloads, proto, lines)
	if err != nil {
		return nil, err
	}
	if err := s.applyCryptoLocked(crypto); err != nil {
		return nil, err
	}
	s.pending = nil
	s.proto = proto
	s.applyLocked(rm, []payloadDesc{chosen}, tes, dir)
	return out, nil
}

// SetAnswer applies the peer's answer to our pending Offer or Reoffer.
func (s *Session) SetAnswer(remoteAnswer []byte) error {
	rm, err := parseRemote(remoteAnswer)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.pending == nil {
		return ErrNoOffer
	}
	var accepted, tes []payloadDesc
	for _, p := range rm.payloads {
		ours, ok := find(s.pending.payloads, p)
		if !ok {
			// A variant clock of an offered codec on the payload type we
			// offered it with (Opus answered as OPUS/16000).
			for _, q := range s.pending.payloads {
				if q.pt == p.pt && strings.EqualFold(q.name, p.name) {
					_, ok = codec.ByRTPMap(p.name, p.clock)
					ours = q
				}
			}
		}
		switch {
		case !ok:
		case isTE(p):
			if isTE(ours) {
				tes = append(tes, p)
			}
		case !isTE(ours):
			p.name = ours.name
			accepted = append(accepted, p)
		}
	}
	if len(accepted) == 0 {
		return fmt.Errorf("%w: the answer has %s, we offered %s", ErrNoCommonCodec,
			payloadNames(rm.payloads), payloadNames(s.pending.payloads))
	}
	if p, ok := findTE(tes, accepted[0].clock); ok { // the one we send with first
		i := slices.IndexFunc(tes, func(q payloadDesc) bool { return q.pt == p.pt })
		tes[0], tes[i] = tes[i], tes[0]
	}
	crypto, err := s.acceptCryptoLocked(rm, s.pending.crypto)
	if err != nil {
		return err
	}
	if err := s.applyCryptoLocked(crypto); err != nil {
		return err
	}
	s.proto = rm.proto
	dir := s.pending.dir
	s.pending = nil
	s.applyLocked(rm, accepted, tes, dir)
	return nil
}

func payloadNames(ps []payloadDesc) string {
	if len(ps) == 0 {
		return "nothing"
	}
	names := make([]string, 0, len(ps))
	for _, p := range ps {
		names = append(names, fmt.Sprintf("%s/%d", p.name, p.clock))
	}
	return strings.Join(names, ", ")
}

// applyLocked installs a negotiation result: accepted[0] is the codec we
// send, all of accepted may be received; tes are the telephone-event
// payloads, tes[0] the one we send DTMF with.
func (s *Session) applyLocked(rm remoteMedia, accepted []payloadDesc, tes []payloadDesc, localDir Direction) {
	first := accepted[0]
	changed := !s.negotiated || !strings.EqualFold(s.enc.Name(), first.name) || s.pt != first.pt ||
		s.enc.ClockRate() != first.clock
	if changed {
		s.enc, _ = codec.ByRTPMap(first.name, first.clock)
		s.pt = first.pt
		if a, ok := s.enc.(codec.FMTPApplier); ok {
			a.ApplyFMTP(first.fmtp)
		}
		// The jitter buffer steps by the codec's RTP timestamp units per
		// frame (160 for G.722 although it carries 320 samples).
		if s.jbTarget > 0 {
			s.jb = NewJitterBuffer(codec.FrameTimestamp(s.enc), s.jbTarget, 16)
		} else {
			s.jb = NewAdaptiveJitterBuffer(codec.FrameTimestamp(s.enc), JitterMinFrames, JitterMaxFrames, 16)
		}
		s.conceal = newLossConcealer(s.enc.Format().Rate)
		s.lastPT = -1
		s.decoders = map[uint8]codec.Codec{}
	}
	// Keep the decoders (and their state) of payloads that stay.
	decs := map[uint8]codec.Codec{}
	for _, p := range accepted {
		if d, ok := s.decoders[p.pt]; ok && strings.EqualFold(d.Name(), p.name) && d.ClockRate() == p.clock {
			decs[p.pt] = d
		} else if d, ok := codec.ByRTPMap(p.name, p.clock); ok {
			decs[p.pt] = d
		}
	}
	s.decoders = decs
	s.negotiated = true
	te := -1
	s.tePT, s.teClock, s.teRecv = -1, 0, s.teRecv[:0]
	for i, p := range tes {
		if i == 0 {
			te, s.tePT, s.teClock = int(p.pt), int(p.pt), p.clock
		}
		s.teRecv = append(s.teRecv, int(p.pt))
	}
	s.localDir = localDir
	s.remoteDir = rm.dir
	var rtpA, rtcpA netip.AddrPort
	if rm.addr.IsValid() {
		rtpA = netip.AddrPortFrom(rm.addr, uint16(rm.port))
		rtcpA = netip.AddrPortFrom(rm.addr, uint16(rm.rtcpPort))
	}
	if rtpA != s.remoteRTP {
		s.latched, s.rtcpFrom = netip.AddrPort{}, netip.AddrPort{}
	}
	s.remoteRTP, s.remoteRTCP = rtpA, rtcpA
	if !s.canRecvLocked() && s.jb != nil {
		s.jb.Reset()
	}
	s.log.Debug("media negotiated", "codec", s.enc.Name(), "pt", s.pt, "te", te,
		"local", localDir, "remote", rm.dir, "peer", rtpA)
}

// held reports whether we put the call on hold.
func (s *Session) heldLocked() bool { return s.desired == SendOnly || s.desired == Inactive }

// canSendLocked: we transmit audio only when nobody forbids it.
func (s *Session) canSendLocked() bool {
	return s.negotiated && !s.heldLocked() && s.localDir.Sends() && s.remoteDir.Receives() && s.destLocked().IsValid()
}

// canRecvLocked: we play audio only when both directions allow it.
func (s *Session) canRecvLocked() bool {
	return s.negotiated && !s.heldLocked() && s.localDir.Receives() && s.remoteDir.Sends()
}

// destLocked is where RTP goes: the latched source, else the SDP address.
func (s *Session) destLocked() netip.AddrPort {
	if s.latched.IsValid() {
		return s.latched
	}
	return s.remoteRTP
}

// RemoteDirection is the direction the peer declared in its last SDP
// (SendOnly or Inactive from the peer means it holds us).
func (s *Session) RemoteDirection() Direction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remoteDir
}

// LocalDirection is the direction in our last negotiated SDP.
func (s *Session) LocalDirection() Direction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.localDir
}

// Codec returns the negotiated codec name ("" before negotiation).
func (s *Session) Codec() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.enc == nil {
		return ""
	}
	return s.enc.Name()
}

// Format is the audio format Start and SetAudio expect (the negotiated
// codec's); the zero Format before negotiation.
func (s *Session) Format() audio.Format {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.enc == nil {
		return audio.Format{}
	}
	return s.enc.Format()
}

// Start begins the 20 ms send loop, the receive loop, playout and RTCP.
// src and sink must be in the codec's Format (see Format; 8 kHz mono for
// G.711, 16 kHz for G.722, 48 kHz for Opus) — the session does not resample. nil src sends silence, nil sink
// discards.
func (s *Session) Start(src audio.Source, sink audio.Sink) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return ErrClosed
	case s.started:
		return ErrStarted
	case !s.negotiated:
		return ErrNotNegotiated
	}
	f := s.enc.Format()
	if src != nil && src.Format() != f {
		return fmt.Errorf("%w: source is %+v, codec %s needs %+v", ErrFormat, src.Format(), s.enc.Name(), f)
	}
	if sink != nil && sink.Format() != f {
		return fmt.Errorf("%w: sink is %+v, codec %s needs %+v", ErrFormat, sink.Format(), s.enc.Name(), f)
	}
	s.src, s.sink = src, sink
	s.started = true
	s.wg.Go(s.sendLoop)
	s.wg.Go(s.recvLoop)
	s.wg.Go(s.playoutLoop)
	s.wg.Go(s.rtcpRecvLoop)
	s.wg.Go(s.rtcpSendLoop)
	return nil
}

// SetAudio swaps the source and sink while running (mute, device change).
// nil src sends silence, nil sink discards. Formats must match Format; a
// mismatch is logged and the audio will be wrong.
func (s *Session) SetAudio(src audio.Source, sink audio.Sink) {
	s.srcMu.Lock()
	defer s.srcMu.Unlock()
	s.sinkMu.Lock()
	defer s.sinkMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.enc != nil {
		f := s.enc.Format()
		if (src != nil && src.Format() != f) || (sink != nil && sink.Format() != f) {
			s.log.Warn("SetAudio: format does not match the codec", "codec", s.enc.Name(), "want", f)
		}
	}
	s.src, s.sink = src, sink
}

// DTMF delivers digits received as RFC 4733 events, one per key press.
// The channel is closed by Close. Digits are dropped if nobody reads and
// 64 are pending.
func (s *Session) DTMF() <-chan rune { return s.dtmfOut }

// SendDTMF sends digits (0-9 * # A-D) as RFC 4733 events with the
// negotiated telephone-event payload type: per digit a 100 ms event (first
// packet with the marker bit, updates every 20 ms with growing duration,
// the end packet three times) and a 60 ms gap. Audio is not sent during
// events. It returns when all digits are sent, or early with ctx's error
// (the current event is ended properly).
func (s *Session) SendDTMF(ctx context.Context, digits string) error {
	evs, err := parseDigits(digits)
	if err != nil {
		return err
	}
	s.mu.Lock()
	switch {
	case s.closed:
		err = ErrClosed
	case !s.negotiated:
		err = ErrNotNegotiated
	case s.tePT < 0:
		err = ErrNoTelephoneEvent
	case !s.started:
		err = ErrNotStarted
	case !s.canSendLocked():
		err = ErrNotSending
	}
	s.mu.Unlock()
	if err != nil || len(evs) == 0 {
		return err
	}
	job := &dtmfJob{events: evs, done: make(chan error, 1), ctx: ctx}
	select {
	case s.dtmfQ <- job:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.ctx.Done():
		return ErrClosed
	}
	select {
	case err := <-job.done:
		return err
	case <-s.ctx.Done():
		return ErrClosed
	}
}

// Stats returns a snapshot of the counters.
func (s *Session) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{
		PayloadType:        -1,
		DTMFPayloadType:    s.tePT,
		LocalAddr:          s.localRTP.String(),
		LocalDirection:     s.localDir,
		RemoteDirection:    s.remoteDir,
		PacketsSent:        s.packetsSent.Load(),
		BytesSent:          s.bytesSent.Load(),
		PacketsReceived:    s.rx.received,
		BytesReceived:      s.rx.bytes,
		PacketsLost:        s.rx.lost(),
		Ignored:            s.ignored.Load(),
		DTMFSent:           s.dtmfSent.Load(),
		DTMFReceived:       s.dtmfRecv.Load(),
		RTCPSent:           s.rtcpSent.Load(),
		RTCPReceived:       s.rtcpRecv.Load(),
		RemoteFractionLost: s.remoteFrac,
		RemotePacketsLost:  s.remoteLost,
		RemoteJitter:       s.remoteJit,
		RTT:                s.rtt,
		SRTP:               s.sec.name(),
		SRTPFailures:       s.srtpFail.Load(),
	}
	if s.enc != nil {
		st.Codec = s.enc.Name()
		st.PayloadType = int(s.pt)
		st.Jitter = time.Duration(s.rx.jitter / float64(s.enc.ClockRate()) * float64(time.Second))
	}
	if d := s.destLocked(); d.IsValid() {
		st.RemoteAddr = d.String()
	}
	if s.jb != nil {
		st.JitterBuffer = s.jb.Stats()
		st.JitterBufferDelay = time.Duration(st.JitterBuffer.TargetFrames*codec.FrameMillis) * time.Millisecond
	}
	if exp := s.rx.expected(); exp > 0 && st.Codec != "" {
		loss := float64(st.PacketsLost+st.JitterBuffer.Late) / float64(exp)
		delay := s.rtt/2 + st.JitterBufferDelay + codec.FrameMillis*time.Millisecond
		st.MOS = EstimateMOS(st.Codec, delay, loss)
	}
	return st
}

// Close stops the goroutines and closes the sockets. It is idempotent and
// safe to call concurrently; it also runs when New's ctx ends.
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		started := s.started
		s.mu.Unlock()
		if started {
			s.sendBye()
		}
		s.cancel()
		s.stopWait()
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.closeErr = errors.Join(s.rtpConn.Close(), s.rtcpConn.Close())
		s.wg.Wait()
		s.mu.Lock()
		s.sec.reset()
		s.keys.wipe()
		s.mu.Unlock()
		close(s.dtmfOut)
	})
	return s.closeErr
}

// ---- send path ----

type sendSnapshot struct {
	src     audio.Source
	enc     codec.Codec
	pt      uint8
	te      int
	teClock int
	dest    netip.AddrPort
	ok      bool
}

func (s *Session) snapshotSend() sendSnapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sendSnapshot{src: s.src, enc: s.enc, pt: s.pt, te: s.tePT, teClock: s.teClock, dest: s.destLocked(),
		ok: s.canSendLocked()}
}

// sendLoop produces one 20 ms frame per tick: audio, or DTMF events.
func (s *Session) sendLoop() {
	tick := time.NewTicker(codec.FrameMillis * time.Millisecond)
	defer tick.Stop()
	clk := newFrameClock(time.Now())
	seq := uint16(rand.Uint32())
	ts := rand.Uint32()
	pcm := make([]int16, 48000*2*codec.FrameMillis/1000)
	payload := make([]byte, 1500)
	pkt := make([]byte, 1500)
	enc := make([]byte, 1600) // pkt plus the SRTP tag
	var job *dtmfJob
	talking := false
	send := func(snap sendSnapshot, hdr rtp.Header, body []byte) {
		hdr.Version, hdr.SSRC, hdr.SequenceNumber = 2, s.ssrc, seq
		n, err := rtp.MarshalPacketTo(pkt, &hdr, body)
		if err != nil {
			s.log.Warn("rtp marshal", "err", err)
			return
		}
		seq++
		out, err := s.sec.protectRTP(enc[:0], pkt[:n])
		if err != nil {
			s.log.Warn("srtp protect", "err", err)
			return
		}
		if _, err := s.rtpConn.WriteToUDPAddrPort(out, snap.dest); err != nil {
			if s.ctx.Err() == nil {
				s.log.Debug("rtp send", "err", err)
			}
			return
		}
		s.packetsSent.Add(1)
		s.bytesSent.Add(uint64(len(body)))
	}
	for {
		select {
		case <-s.ctx.Done():
			if job != nil {
				job.done <- ErrClosed
			}
			return
		case now := <-tick.C:
			// Ticks a busy machine skipped are made up (the peer's
			// buffer would otherwise drain: a sender running slow).
			for range clk.due(now) {
				s.srcMu.Lock()
				snap := s.snapshotSend()
				n := codec.FrameSamples(snap.enc)
				frame := pcm[:n]
				s.readSource(snap.src, frame)
				s.srcMu.Unlock()
				if job == nil {
					select {
					case job = <-s.dtmfQ:
						// Event durations count in the telephone-event clock
						// (8000 Hz beside Opus when the peer has no 48 kHz
						// events); the event timestamp is the audio one.
						job.durTS = uint32(max(snap.teClock, 8000) * codec.FrameMillis / 1000)
					default:
					}
				}
				sent := false
				if job != nil {
					if !snap.ok || snap.te < 0 {
						job.done <- ErrNotSending
						job = nil
					} else if body, hdr, isEvent := s.dtmfStep(job, ts, payload, uint8(snap.te)); isEvent {
						send(snap, hdr, body)
						sent = true
						talking = false
					}
					if job != nil && job.idx >= len(job.events) {
						job.done <- job.err()
						job = nil
					}
				}
				if !sent && snap.ok {
					m, err := snap.enc.Encode(payload, frame)
					if err == nil {
						send(snap, rtp.Header{PayloadType: snap.pt, Timestamp: ts, Marker: !talking}, payload[:m])
						talking = true
						sent = true
					}
				}
				if !sent {
					talking = false
				}
				s.mu.Lock()
				s.txTS, s.txTime, s.txClock = ts, now, snap.enc.ClockRate()
				if sent {
					s.sentSince = true
				}
				s.mu.Unlock()
				ts += codec.FrameTimestamp(snap.enc)
			}
		}
	}
}

// readSource fills frame from src (silence if nil, short, or failing).
func (s *Session) readSource(src audio.Source, frame []int16) {
	if src == nil {
		clear(frame)
		return
	}
	n, err := src.Read(frame)
	n = max(0, min(n, len(frame)))
	clear(frame[n:])
	if err != nil {
		if !errors.Is(err, io.EOF) {
			s.log.Warn("audio source failed; sending silence", "err", err)
		}
		s.mu.Lock()
		if s.src == src {
			s.src = nil
		}
		s.mu.Unlock()
	}
}

// dtmfStep produces the RFC 4733 packet for this tick of job, if any (the
// gap frames between digits return isEvent false, so audio is sent).
func (s *Session) dtmfStep(job *dtmfJob, ts uint32, buf []byte, pt uint8) ([]byte, rtp.Header, bool) {
	aborted := false
	select {
	case <-job.ctx.Done():
		aborted = true
	default:
	}
	if aborted && !job.aborted {
		job.aborted = true
		if job.frame == 0 {
			job.idx = len(job.events) // nothing of this digit sent yet
			return nil, rtp.Header{}, false
		}
		if job.frame < dtmfToneFrames && job.endDur == 0 {
			job.endAt = job.frame // end now with the duration so far
		}
	}
	ev := job.events[job.idx]
	f := job.frame
	hdr := rtp.Header{PayloadType: pt}
	var body []byte
	isEvent := true
	switch {
	case f == 0:
		job.ts = ts
		job.endDur = 0
		job.endAt = dtmfToneFrames - 1
		hdr.Marker = true
		body = eventPayload(buf, ev, false, uint16(job.durTS))
	case f < job.endAt:
		body = eventPayload(buf, ev, false, uint16(uint32(f+1)*job.durTS))
	case f == job.endAt:
		job.endDur = uint16(uint32(f+1) * job.durTS)
		body = eventPayload(buf, ev, true, job.endDur)
	case f <= job.endAt+dtmfEndRepeats:
		body = eventPayload(buf, ev, true, job.endDur)
	default:
		isEvent = false
	}
	if f == job.endAt {
		s.dtmfSent.Add(1)
	}
	hdr.Timestamp = job.ts
	job.frame++
	if job.frame >= dtmfCycleFrames || (job.aborted && f >= job.endAt+dtmfEndRepeats) {
		job.frame = 0
		job.idx++
		if job.aborted {
			job.idx = len(job.events)
		}
	}
	return body, hdr, isEvent
}

// ---- receive path ----

// relatchAfter is how long the latched RTP source must be silent before
// packets from another address take over.
const relatchAfter = 500 * time.Millisecond

func (s *Session) recvLoop() {
	buf := make([]byte, 2048)
	for {
		n, from, err := s.rtpConn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Debug("rtp read", "err", err)
			continue
		}
		s.handleDatagram(buf[:n], netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), time.Now())
	}
}

// handleDatagram processes one datagram from the RTP socket. Anything that
// is not a valid RTP packet of a negotiated payload type is counted and
// ignored.
func (s *Session) handleDatagram(b []byte, from netip.AddrPort, now time.Time) {
	if len(b) >= 12 && b[0]>>6 == 2 {
		plain, secured, err := s.sec.unprotectRTP(b)
		if err != nil {
			if secured {
				s.srtpFail.Add(1)
			}
			s.ignored.Add(1)
			return
		}
		b = plain
	}
	var p rtp.Packet
	if len(b) < 12 || b[0]>>6 != 2 || p.Unmarshal(b) != nil || (p.PayloadType >= 64 && p.PayloadType <= 95) {
		s.ignored.Add(1)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.negotiated || s.closed {
		s.ignored.Add(1)
		return
	}
	isTE := slices.Contains(s.teRecv, int(p.PayloadType))
	dec, isAudio := s.decoders[p.PayloadType]
	if !isTE && !isAudio {
		s.ignored.Add(1)
		return
	}
	// Symmetric RTP: latch onto the first source; packets from elsewhere are
	// ignored while it is alive, and we move when it has gone quiet (NAT
	// rebinding, media relocated without a re-INVITE).
	switch {
	case !s.latched.IsValid():
		s.latched, s.latchedAt = from, now
		s.log.Debug("rtp latched", "peer", from)
	case from == s.latched:
		s.latchedAt = now
	case now.Sub(s.latchedAt) > relatchAfter:
		s.log.Debug("rtp re-latched", "from", s.latched, "to", from)
		s.latched, s.latchedAt = from, now
	default:
		s.ignored.Add(1)
		return
	}
	clock := int64(max(s.teClock, 8000))
	if isAudio {
		clock = int64(dec.ClockRate())
	}
	newSource := s.rx.init && s.rx.ssrc != p.SSRC
	arrival := int64(now.Sub(s.epoch)) * clock / int64(time.Second)
	if !s.rx.update(p.SSRC, p.SequenceNumber, p.Timestamp, arrival, len(p.Payload)) {
		return
	}
	if newSource {
		s.jb.Reset()
		s.dtmfDet = dtmfDetector{}
	}
	if isTE {
		if r, ok := s.dtmfDet.packet(p.Timestamp, p.Payload); ok {
			s.dtmfRecv.Add(1)
			select {
			case s.dtmfOut <- r:
			default:
				s.log.Warn("DTMF digit dropped: nobody reads Session.DTMF", "digit", string(r))
			}
		}
		return
	}
	if s.canRecvLocked() {
		s.jb.Push(p.Timestamp, p.PayloadType, p.Payload)
	}
}

// playoutLoop writes one frame per 20 ms to the sink from the jitter
// buffer, concealing losses. While receiving is not allowed (hold) it
// writes nothing.
func (s *Session) playoutLoop() {
	tick := time.NewTicker(codec.FrameMillis * time.Millisecond)
	defer tick.Stop()
	pcm := make([]int16, 48000*2*60/1000)
	clk := newFrameClock(time.Now())
	for {
		var now time.Time
		select {
		case <-s.ctx.Done():
			return
		case now = <-tick.C:
		}
		// Catch up on skipped ticks so playout keeps the sender's pace.
		for range clk.due(now) {
			s.sinkMu.Lock()
			out, sink := s.playoutFrame(pcm)
			if sink != nil && out != nil {
				if _, err := sink.Write(out); err != nil {
					s.log.Debug("sink write", "err", err)
				}
			}
			s.sinkMu.Unlock()
		}
	}
}

// playoutFrame produces the next frame to play, or nil.
func (s *Session) playoutFrame(pcm []int16) ([]int16, audio.Sink) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.canRecvLocked() {
		s.jb.Reset()
		return nil, nil
	}
	f := s.jb.Pop()
	var last codec.Codec
	if s.lastPT >= 0 {
		last = s.decoders[uint8(s.lastPT)]
	}
	n := codec.FrameSamples(s.enc)
	if last != nil {
		n = codec.FrameSamples(last)
	}
	out := pcm[:n]
	switch f.Status {
	case FrameOK:
		if dec := s.decoders[f.PayloadType]; dec != nil {
			if m, err := dec.Decode(pcm, f.Payload); err == nil && m > 0 {
				out = pcm[:m]
				s.conceal.good(out)
				s.lastPT = int(f.PayloadType)
				return out, s.sink
			}
		}
		s.concealLocked(last, out, f.Timestamp)
	case FrameLost:
		if f.Inserted {
			// Added delay, nothing missing: no FEC from the next frame.
			s.concealLocked(last, out, f.Timestamp-s.jb.tsPerFrame)
			break
		}
		s.concealLocked(last, out, f.Timestamp)
	default:
		clear(out)
	}
	return out, s.sink
}

// concealLocked fills out for the lost frame at ts: with the decoder's own
// concealment when it has one (Opus: in-band FEC from the next frame if it
// is already buffered, else PLC), else with the session's loss concealer
// (spandsp's pitch-repeating PLC for G.711 and G.722).
func (s *Session) concealLocked(dec codec.Codec, out []int16, ts uint32) {
	if c, ok := dec.(codec.Concealer); ok {
		var next []byte
		if nf, ok := s.jb.Peek(ts + s.jb.tsPerFrame); ok && int(nf.PayloadType) == s.lastPT {
			next = nf.Payload
		}
		if m, err := c.Conceal(out, next); err == nil && m == len(out) {
			return
		}
	}
	s.conceal.conceal(out)
}
