package webrtc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"switchboard/audio"
	"switchboard/audio/codec"
	"switchboard/audio/resample"
	"switchboard/phone"
	"switchboard/phone/media"
)

// Payload types we offer: the common WebRTC numbers.
const (
	ptOpus = 111
	ptPCMU = 0
	ptPCMA = 8
	ptTE   = 101 // telephone-event/8000
	ptTE48 = 110 // telephone-event/48000
)

// codecCaps maps our codec names to pion codec parameters.
var codecCaps = map[string]webrtc.RTPCodecParameters{
	"opus": {RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
		SDPFmtpLine: "minptime=10;useinbandfec=1"}, PayloadType: ptOpus},
	"PCMU": {RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000}, PayloadType: ptPCMU},
	"PCMA": {RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMA, ClockRate: 8000}, PayloadType: ptPCMA},
}

const mimeTE = "audio/telephone-event"

// mediaConfig is what a call's PeerConnection is built from.
type mediaConfig struct {
	codecs     []string // preference order: opus, PCMU, PCMA
	iceServers []webrtc.ICEServer
	loopback   bool // gather only 127.0.0.1 host candidates (tests, webrtc-notes 15)
	portMin    uint16
	portMax    uint16
	gather     time.Duration
	log        *slog.Logger
}

// mediaSession is one call's PeerConnection and its audio loops.
type mediaSession struct {
	cfg   mediaConfig
	pc    *webrtc.PeerConnection
	track *audioTrack
	log   *slog.Logger
	ctx   context.Context
	stop  context.CancelFunc
	wg    sync.WaitGroup

	connected chan struct{} // closed when ICE+DTLS are up
	connOnce  sync.Once
	failed    chan struct{} // closed when the connection failed
	failOnce  sync.Once

	// readMu is held while the send loop reads the source and while
	// setAudio swaps it, so once SetAudio returns the old source is no
	// longer read (the core hands the microphone to the next call).
	readMu   sync.Mutex
	mu       sync.Mutex
	audio    phone.AudioPair
	src      audio.Source // adapted to the encoder's format
	enc      codec.Codec
	sendPT   uint8
	tePT     int // negotiated telephone-event PT for sending, -1 none
	teClock  int
	hold     bool
	jb       *media.JitterBuffer
	decoders map[uint8]codec.Codec
	sinks    map[audio.Format]audio.Sink
	started  bool
	remoteAt string

	dtmfQ    chan dtmfJob
	dtmfOut  chan rune
	pktsSent atomic.Uint64
	pktsRecv atomic.Uint64
}

type dtmfJob struct {
	digits string
	done   chan error
}

// newMediaSession builds a PeerConnection with one sendrecv audio
// transceiver. pion's logs go to cfg.log.
func newMediaSession(cfg mediaConfig) (*mediaSession, error) {
	me := &webrtc.MediaEngine{}
	for _, name := range cfg.codecs {
		c, ok := codecCaps[canonCodec(name)]
		if !ok {
			continue
		}
		if err := me.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	for _, te := range []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeTE, ClockRate: 8000, SDPFmtpLine: "0-16"}, PayloadType: ptTE},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeTE, ClockRate: 48000, SDPFmtpLine: "0-16"}, PayloadType: ptTE48},
	} {
		if err := me.RegisterCodec(te, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	se := webrtc.SettingEngine{LoggerFactory: slogFactory{cfg.log}}
	if cfg.loopback {
		se.SetIncludeLoopbackCandidate(true)
		se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() && ip.To4() != nil })
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
		se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	}
	if cfg.portMin != 0 && cfg.portMax >= cfg.portMin {
		if err := se.SetEphemeralUDPPortRange(cfg.portMin, cfg.portMax); err != nil {
			return nil, err
		}
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{ICEServers: cfg.iceServers,
		BundlePolicy: webrtc.BundlePolicyBalanced, RTCPMuxPolicy: webrtc.RTCPMuxPolicyRequire})
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	m := &mediaSession{cfg: cfg, pc: pc, log: cfg.log, ctx: ctx, stop: stop,
		connected: make(chan struct{}), failed: make(chan struct{}), tePT: -1,
		decoders: map[uint8]codec.Codec{}, sinks: map[audio.Format]audio.Sink{},
		dtmfQ: make(chan dtmfJob, 4), dtmfOut: make(chan rune, 16)}
	m.track = &audioTrack{prefs: cfg.codecs}
	if _, err := pc.AddTransceiverFromTrack(m.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv}); err != nil {
		pc.Close()
		return nil, err
	}
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		m.log.Debug("peer connection", "state", st.String())
		switch st {
		case webrtc.PeerConnectionStateConnected:
			m.connOnce.Do(func() { close(m.connected) })
		case webrtc.PeerConnectionStateFailed:
			m.failOnce.Do(func() { close(m.failed) })
		}
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, rcv *webrtc.RTPReceiver) {
		m.wg.Add(1)
		go func() { defer m.wg.Done(); m.recvLoop(tr) }()
	})
	return m, nil
}

// canonCodec spells a codec name as codecCaps does.
func canonCodec(n string) string {
	switch strings.ToUpper(n) {
	case "OPUS":
		return "opus"
	case "PCMU", "G711U":
		return "PCMU"
	case "PCMA", "G711A":
		return "PCMA"
	}
	return n
}

// gatherLocal sets desc as the local description, waits (bounded) for ICE
// gathering and returns the SDP to send: non-trickle, with c= and the m=
// port taken from the first IPv4 host candidate (webrtc-notes 14) and no
// a=cryptex (note 20).
func (m *mediaSession) gatherLocal(ctx context.Context, desc webrtc.SessionDescription) ([]byte, error) {
	done := webrtc.GatheringCompletePromise(m.pc)
	if err := m.pc.SetLocalDescription(desc); err != nil {
		return nil, err
	}
	wait := m.cfg.gather
	if wait == 0 {
		wait = 3 * time.Second
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		m.log.Warn("ICE gathering not complete; sending the candidates found so far", "after", wait)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return fixLocalSDP(m.pc.LocalDescription().SDP)
}

// fixLocalSDP rewrites pion's SDP for SIP peers.
func fixLocalSDP(raw string) ([]byte, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(raw); err != nil {
		return nil, err
	}
	var hostIP string
	var hostPort int
	for _, md := range sd.MediaDescriptions {
		kept := md.Attributes[:0]
		for _, a := range md.Attributes {
			if a.Key == "cryptex" {
				continue
			}
			kept = append(kept, a)
			if a.Key == "candidate" && hostIP == "" {
				f := strings.Fields(a.Value)
				// foundation component transport priority ip port typ host
				if len(f) >= 8 && f[1] == "1" && strings.EqualFold(f[2], "udp") && f[7] == "host" {
					if ip := net.ParseIP(f[4]); ip != nil && ip.To4() != nil {
						hostIP = f[4]
						hostPort, _ = strconv.Atoi(f[5])
					}
				}
			}
		}
		md.Attributes = kept
	}
	if hostIP != "" {
		c := &sdp.ConnectionInformation{NetworkType: "IN", AddressType: "IP4", Address: &sdp.Address{Address: hostIP}}
		sd.ConnectionInformation = c
		for _, md := range sd.MediaDescriptions {
			md.ConnectionInformation = nil
			md.MediaName.Port = sdp.RangedPort{Value: hostPort}
		}
		sd.Origin.UnicastAddress = hostIP
	}
	return sd.Marshal()
}

// fixRemoteSDP makes a peer's SDP acceptable to pion: a media section
// without a=mid gets one (the mids of ours when we offered, else its index).
func fixRemoteSDP(raw []byte, localMids []string) (string, error) {
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(raw); err != nil {
		return "", fmt.Errorf("the far end sent a malformed SDP (%s)", strings.TrimPrefix(err.Error(), "sdp: "))
	}
	audioSeen := false
	for i, md := range sd.MediaDescriptions {
		if md.MediaName.Media == "audio" {
			audioSeen = true
		}
		if _, ok := md.Attribute("mid"); ok {
			continue
		}
		mid := strconv.Itoa(i)
		if i < len(localMids) {
			mid = localMids[i]
		}
		md.Attributes = append(md.Attributes, sdp.NewAttribute("mid", mid))
	}
	if !audioSeen {
		return "", errors.New("the SDP has no audio stream")
	}
	b, err := sd.Marshal()
	return string(b), err
}

func localMids(pc *webrtc.PeerConnection) []string {
	var mids []string
	for _, t := range pc.GetTransceivers() {
		mids = append(mids, t.Mid())
	}
	return mids
}

// offer creates a non-trickle offer (iceRestart: new ICE credentials).
func (m *mediaSession) offer(ctx context.Context, iceRestart bool) ([]byte, error) {
	o, err := m.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: iceRestart})
	if err != nil {
		return nil, err
	}
	return m.gatherLocal(ctx, o)
}

// setAnswer applies the far end's answer.
func (m *mediaSession) setAnswer(raw []byte) error {
	s, err := fixRemoteSDP(raw, localMids(m.pc))
	if err != nil {
		return err
	}
	if err := m.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: s}); err != nil {
		return fmt.Errorf("answer SDP refused: %w", err)
	}
	return nil
}

// answer applies the far end's offer and returns our answer.
func (m *mediaSession) answer(ctx context.Context, raw []byte) ([]byte, error) {
	s, err := fixRemoteSDP(raw, nil)
	if err != nil {
		return nil, err
	}
	if err := m.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: s}); err != nil {
		return nil, fmt.Errorf("offer SDP refused: %w", err)
	}
	a, err := m.pc.CreateAnswer(nil)
	if err != nil {
		return nil, fmt.Errorf("no common codec or transport: %w", err)
	}
	out, err := m.gatherLocal(ctx, a)
	if err != nil {
		return nil, err
	}
	return answerDirection(out, sdpDirection(raw)), nil
}

// answerDirection makes our answer's direction match the offer's (RFC 3264
// §6.1): pion keeps sendrecv when a far end puts us on hold with sendonly.
func answerDirection(answer []byte, offered string) []byte {
	want := map[string]string{"sendonly": "recvonly", "recvonly": "sendonly", "inactive": "inactive"}[offered]
	if want == "" {
		return answer
	}
	return []byte(strings.ReplaceAll(string(answer), "a=sendrecv", "a="+want))
}

// start begins sending once the transport is up; a is the device side.
func (m *mediaSession) start(a phone.AudioPair) {
	m.mu.Lock()
	if m.started {
		m.mu.Unlock()
		return
	}
	m.started = true
	m.mu.Unlock()
	m.setAudio(a)
	m.wg.Add(2)
	go func() { defer m.wg.Done(); m.sendLoop() }()
	go func() { defer m.wg.Done(); m.playoutLoop() }()
}

// setAudio swaps the call's source and sink.
func (m *mediaSession) setAudio(a phone.AudioPair) {
	m.readMu.Lock()
	defer m.readMu.Unlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.audio = a
	m.src = nil
	m.sinks = map[audio.Format]audio.Sink{}
}

// waitConnected waits until ICE and DTLS are up, the connection failed, or ctx ends.
func (m *mediaSession) waitConnected(ctx context.Context) error {
	select {
	case <-m.connected:
		return nil
	case <-m.failed:
		return errors.New("ICE/DTLS connection failed")
	case <-ctx.Done():
		return fmt.Errorf("media did not connect: %w", ctx.Err())
	}
}

// sendLoop encodes a frame from the source every 20 ms (paced by the wall
// clock) and writes it, or RFC 4733 events while DTMF is queued.
func (m *mediaSession) sendLoop() {
	tick := time.NewTicker(codec.FrameMillis * time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	sentFrames := 0
	seq := uint16(rand.Uint32())
	ts := rand.Uint32()
	pcm := make([]int16, 48000*2*codec.FrameMillis/1000)
	payload := make([]byte, 1500)
	talk := false
	var job *dtmfJob
	var events []rune
	evStep := 0
	for {
		select {
		case <-m.ctx.Done():
			if job != nil {
				job.done <- errors.New("call ended")
			}
			return
		case now := <-tick.C:
			due := int(now.Sub(start)/(codec.FrameMillis*time.Millisecond)) - sentFrames
			for ; due > 0; due-- {
				sentFrames++
				m.readMu.Lock()
				w, enc, pt, src, te, teClock := m.sendState()
				if w == nil || enc == nil {
					m.readMu.Unlock()
					continue
				}
				n := codec.FrameSamples(enc)
				frame := pcm[:n]
				readFrame(src, frame)
				m.readMu.Unlock()
				if job == nil {
					select {
					case j := <-m.dtmfQ:
						if te < 0 {
							j.done <- media.ErrNoTelephoneEvent
						} else {
							job, events, evStep = &j, []rune(j.digits), 0
						}
					default:
					}
				}
				hdr := rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, SSRC: w.ssrc}
				var body []byte
				if job != nil && len(events) > 0 {
					body, hdr.Marker = dtmfPacket(events[0], evStep, teClock)
					hdr.PayloadType = uint8(te)
					evStep++
					if evStep >= dtmfSteps+3 { // 3 end packets sent
						events, evStep = events[1:], 0
						ts += uint32(dtmfSteps+3) * codec.FrameTimestamp(enc)
					}
					if len(events) == 0 {
						job.done <- nil
						job = nil
					}
				} else {
					k, err := enc.Encode(payload, frame)
					if err != nil {
						continue
					}
					body = payload[:k]
					hdr.PayloadType, hdr.Marker = pt, !talk
					talk = true
				}
				if _, err := w.stream.WriteRTP(&hdr, body); err != nil {
					m.log.Debug("rtp write", "err", err)
				} else {
					m.pktsSent.Add(1)
				}
				seq++
				if hdr.PayloadType == pt {
					ts += codec.FrameTimestamp(enc)
				}
			}
		}
	}
}

// dtmfSteps is how many 20 ms packets a digit lasts (160 ms).
const dtmfSteps = 8

// dtmfPacket builds the RFC 4733 payload of step of digit d.
func dtmfPacket(d rune, step, clock int) ([]byte, bool) {
	ev := strings.IndexRune("0123456789*#ABCD", d)
	if ev < 0 {
		ev = 0
	}
	steps := min(step+1, dtmfSteps)
	dur := uint16(steps * clock * codec.FrameMillis / 1000)
	b := []byte{byte(ev), 10, byte(dur >> 8), byte(dur)}
	if step >= dtmfSteps {
		b[1] |= 0x80 // end
	}
	return b, step == 0
}

func readFrame(src audio.Source, frame []int16) {
	if src == nil {
		clear(frame)
		return
	}
	n, err := src.Read(frame)
	n = max(0, min(n, len(frame)))
	clear(frame[n:])
	_ = err // EOF of a file source: silence from then on
}

// sendState snapshots what the send loop needs.
func (m *mediaSession) sendState() (*trackWriter, codec.Codec, uint8, audio.Source, int, int) {
	w := m.track.writer()
	if w == nil {
		return nil, nil, 0, nil, -1, 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.enc == nil || m.enc.Name() != w.codecName {
		c, ok := codec.ByRTPMap(w.codecName, w.clock)
		if !ok {
			return nil, nil, 0, nil, -1, 0
		}
		m.enc, m.sendPT, m.src = c, w.pt, nil
		m.tePT, m.teClock = -1, 0
		for _, p := range m.remoteCodecs() {
			if strings.EqualFold(p.MimeType, mimeTE) && (m.tePT < 0 || int(p.ClockRate) == w.clock) {
				m.tePT, m.teClock = int(p.PayloadType), int(p.ClockRate)
			}
		}
	}
	if m.src == nil {
		s := m.audio.Source
		if s == nil {
			s = audio.Silence{F: m.enc.Format()}
		}
		m.src = resample.NewSource(s, m.enc.Format())
		if m.audio.Tap != nil {
			m.src = tapSource{m.src, m.audio.Tap}
		}
	}
	if m.hold {
		return w, m.enc, m.sendPT, audio.Silence{F: m.enc.Format()}, m.tePT, m.teClock
	}
	return w, m.enc, m.sendPT, m.src, m.tePT, m.teClock
}

// remoteCodecs lists the codecs negotiated on our transceiver.
func (m *mediaSession) remoteCodecs() []webrtc.RTPCodecParameters {
	for _, t := range m.pc.GetTransceivers() {
		if s := t.Sender(); s != nil {
			return s.GetParameters().Codecs
		}
	}
	return nil
}

// recvLoop reads the far end's RTP into the jitter buffer and reports
// RFC 4733 digits.
func (m *mediaSession) recvLoop(tr *webrtc.TrackRemote) {
	m.mu.Lock()
	m.remoteAt = ""
	m.mu.Unlock()
	var lastEventTS uint32
	haveEvent := false
	for {
		p, _, err := tr.ReadRTP()
		if err != nil {
			if !errors.Is(err, io.EOF) && m.ctx.Err() == nil {
				m.log.Debug("rtp read", "err", err)
			}
			return
		}
		m.pktsRecv.Add(1)
		name, clock := m.payloadName(p.PayloadType)
		if strings.EqualFold(name, "telephone-event") {
			if len(p.Payload) >= 4 && (!haveEvent || p.Timestamp != lastEventTS) {
				haveEvent, lastEventTS = true, p.Timestamp
				if ev := int(p.Payload[0]); ev < 16 {
					select {
					case m.dtmfOut <- rune("0123456789*#ABCD"[ev]):
					default:
					}
				}
			}
			continue
		}
		m.mu.Lock()
		dec := m.decoders[p.PayloadType]
		if dec == nil {
			if c, ok := codec.ByRTPMap(name, clock); ok {
				dec = c
				m.decoders[p.PayloadType] = c
			}
		}
		if dec != nil {
			if m.jb == nil {
				m.jb = media.NewAdaptiveJitterBuffer(codec.FrameTimestamp(dec), media.JitterMinFrames, media.JitterMaxFrames, 16)
			}
			m.jb.Push(p.Timestamp, p.PayloadType, p.Payload)
		}
		m.mu.Unlock()
	}
}

// payloadName returns the encoding name and clock of a negotiated PT.
func (m *mediaSession) payloadName(pt uint8) (string, int) {
	for _, c := range m.remoteCodecs() {
		if uint8(c.PayloadType) == pt {
			_, name, _ := strings.Cut(c.MimeType, "/")
			return name, int(c.ClockRate)
		}
	}
	return "", 0
}

// playoutLoop pops a frame every 20 ms, decodes and plays it.
func (m *mediaSession) playoutLoop() {
	tick := time.NewTicker(codec.FrameMillis * time.Millisecond)
	defer tick.Stop()
	pcm := make([]int16, 48000*2*60/1000)
	start := time.Now()
	played := 0
	for {
		select {
		case <-m.ctx.Done():
			return
		case now := <-tick.C:
			for due := int(now.Sub(start)/(codec.FrameMillis*time.Millisecond)) - played; due > 0; due-- {
				played++
				out, sink := m.playoutFrame(pcm)
				if out != nil && sink != nil {
					_, _ = sink.Write(out)
				}
			}
		}
	}
}

func (m *mediaSession) playoutFrame(pcm []int16) ([]int16, audio.Sink) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.jb == nil {
		return nil, nil
	}
	f := m.jb.Pop()
	var dec codec.Codec
	if f.Status == media.FrameOK {
		dec = m.decoders[f.PayloadType]
	}
	if dec == nil {
		for _, d := range m.decoders {
			dec = d
			break
		}
	}
	if dec == nil {
		return nil, nil
	}
	out := pcm[:codec.FrameSamples(dec)]
	clear(out)
	if f.Status == media.FrameOK {
		if n, err := dec.Decode(pcm, f.Payload); err == nil && n > 0 {
			out = pcm[:n]
		}
	} else if c, ok := dec.(codec.Concealer); ok {
		_, _ = c.Conceal(out, nil)
	}
	return out, m.sinkFor(dec.Format())
}

func (m *mediaSession) sinkFor(f audio.Format) audio.Sink {
	if s, ok := m.sinks[f]; ok {
		return s
	}
	dst := m.audio.Sink
	if dst == nil {
		dst = audio.Discard{F: f}
	}
	var s audio.Sink = resample.NewSink(dst, f)
	if m.audio.Tap != nil {
		s = tapSink{s, m.audio.Tap}
	}
	m.sinks[f] = s
	return s
}

// sendDTMF queues digits as RFC 4733 events and waits until they are sent.
func (m *mediaSession) sendDTMF(ctx context.Context, digits string) error {
	j := dtmfJob{digits: digits, done: make(chan error, 1)}
	select {
	case m.dtmfQ <- j:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-j.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// codecName is the negotiated send codec.
func (m *mediaSession) codecName() string {
	if w := m.track.writer(); w != nil {
		return w.codecName
	}
	return ""
}

func (m *mediaSession) stats() phone.CallStats {
	st := phone.CallStats{Codec: m.codecName(), PacketsSent: m.pktsSent.Load(), PacketsReceived: m.pktsRecv.Load(), SRTP: "DTLS-SRTP"}
	if pair, err := m.selectedPair(); err == nil && pair != nil {
		st.RemoteAddr = net.JoinHostPort(pair.Remote.Address, strconv.Itoa(int(pair.Remote.Port)))
	}
	m.mu.Lock()
	if m.jb != nil {
		st.JitterBufferMs = float64(m.jb.Target() * codec.FrameMillis)
	}
	m.mu.Unlock()
	// Loss and interarrival jitter as pion's receiver counts them.
	for _, v := range m.pc.GetStats() {
		if in, ok := v.(webrtc.InboundRTPStreamStats); ok && in.Kind == "audio" {
			if in.PacketsLost > 0 {
				st.PacketsLost = uint64(in.PacketsLost)
			}
			st.JitterMs = in.Jitter * 1000
		}
	}
	return st
}

func (m *mediaSession) selectedPair() (*webrtc.ICECandidatePair, error) {
	for _, t := range m.pc.GetTransceivers() {
		if s := t.Sender(); s != nil && s.Transport() != nil {
			return s.Transport().ICETransport().GetSelectedCandidatePair()
		}
	}
	return nil, errors.New("no transport")
}

// close ends the PeerConnection and waits for the loops.
func (m *mediaSession) close() {
	m.stop()
	_ = m.pc.Close()
	m.wg.Wait()
}

// audioTrack is a TrackLocal that lets us choose the payload type of every
// packet (audio or telephone-event): pion's static tracks overwrite it.
type audioTrack struct {
	prefs []string
	mu    sync.Mutex
	w     *trackWriter
}

type trackWriter struct {
	stream    webrtc.TrackLocalWriter
	ssrc      uint32
	pt        uint8
	codecName string
	clock     int
}

func (t *audioTrack) writer() *trackWriter {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.w
}

// Bind picks the first negotiated codec in our preference order.
func (t *audioTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	params := ctx.CodecParameters()
	var pick *webrtc.RTPCodecParameters
	for _, pref := range t.prefs {
		for i, p := range params {
			if strings.EqualFold(p.MimeType, "audio/"+canonCodec(pref)) {
				pick = &params[i]
				break
			}
		}
		if pick != nil {
			break
		}
	}
	if pick == nil {
		for i, p := range params {
			if !strings.EqualFold(p.MimeType, mimeTE) {
				pick = &params[i]
				break
			}
		}
	}
	if pick == nil {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	_, name, _ := strings.Cut(pick.MimeType, "/")
	t.mu.Lock()
	t.w = &trackWriter{stream: ctx.WriteStream(), ssrc: uint32(ctx.SSRC()), pt: uint8(pick.PayloadType), codecName: name, clock: int(pick.ClockRate)}
	t.mu.Unlock()
	return *pick, nil
}

// Unbind forgets the writer.
func (t *audioTrack) Unbind(webrtc.TrackLocalContext) error {
	t.mu.Lock()
	t.w = nil
	t.mu.Unlock()
	return nil
}

// ID names the track.
func (t *audioTrack) ID() string { return "audio" }

// RID is empty: no simulcast.
func (t *audioTrack) RID() string { return "" }

// StreamID names the media stream.
func (t *audioTrack) StreamID() string { return "switchboard" }

// Kind is audio.
func (t *audioTrack) Kind() webrtc.RTPCodecType { return webrtc.RTPCodecTypeAudio }

// tapSource copies what is sent to the recording tap.
type tapSource struct {
	audio.Source
	tap phone.Tap
}

func (t tapSource) Read(p []int16) (int, error) {
	n, err := t.Source.Read(p)
	if n > 0 {
		t.tap.Local(p[:n], t.Source.Format())
	}
	return n, err
}

// tapSink copies what is played to the recording tap.
type tapSink struct {
	audio.Sink
	tap phone.Tap
}

func (t tapSink) Write(p []int16) (int, error) {
	t.tap.Remote(p, t.Sink.Format())
	return t.Sink.Write(p)
}

// setOffer applies the far end's offer (checked before ringing).
func (m *mediaSession) setOffer(raw []byte) error {
	s, err := fixRemoteSDP(raw, nil)
	if err != nil {
		return err
	}
	if err := m.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: s}); err != nil {
		return fmt.Errorf("offer SDP refused: %w", err)
	}
	return nil
}

// createAnswer answers the offer set by setOffer.
func (m *mediaSession) createAnswer(ctx context.Context) ([]byte, error) {
	a, err := m.pc.CreateAnswer(nil)
	if err != nil {
		return nil, fmt.Errorf("no common codec or transport: %w", err)
	}
	return m.gatherLocal(ctx, a)
}

// rollback drops a local offer the far end refused.
func (m *mediaSession) rollback() {
	_ = m.pc.SetLocalDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeRollback})
}

func (m *mediaSession) setHold(on bool) {
	m.mu.Lock()
	m.hold = on
	m.mu.Unlock()
}

func (m *mediaSession) held() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.hold
}
