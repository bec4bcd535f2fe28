package media

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"

	"switchboard/audio/codec"
)

// Errors returned (wrapped, with a human reason) by SDP negotiation.
var (
	// ErrBadSDP means the remote SDP could not be parsed or lacks something
	// required (an audio m= line, a connection address).
	ErrBadSDP = errors.New("media: bad SDP")
	// ErrNoCommonCodec means the remote offered or answered no codec we speak.
	ErrNoCommonCodec = errors.New("media: no common codec")
	// ErrUnsupportedTransport means the audio stream uses a transport we do
	// not speak (DTLS-SRTP's UDP/TLS/RTP/SAVP, or SRTP's RTP/SAVP while the
	// SRTP policy is off).
	ErrUnsupportedTransport = errors.New("media: unsupported media transport")
)

// telephoneEvent is the RFC 4733 encoding name.
const telephoneEvent = "telephone-event"

// Payload types we offer for telephone-event at 8000 Hz and at 48000 Hz
// (the latter alongside Opus, whose RTP clock is 48000), and for Opus.
const (
	defaultTEPayloadType = 101
	te48kPayloadType     = 110
	opusPayloadType      = 111
)

// preferredPayloadTypes are the dynamic payload types we offer for codecs
// without a static one (what most SIP phones use).
var preferredPayloadTypes = map[string]uint8{"OPUS": opusPayloadType}

// tePayloadType is the payload type we offer telephone-event at clock under
// (0 for clocks we do not offer it at).
func tePayloadType(clock int) uint8 {
	switch clock {
	case 8000:
		return defaultTEPayloadType
	case 48000:
		return te48kPayloadType
	}
	return 0
}

// staticPayloadTypes are the RFC 3551 static assignments we know by name.
var staticPayloadTypes = map[string]uint8{"PCMU": 0, "GSM": 3, "PCMA": 8, "G722": 9, "G729": 18}

// payloadDesc is one RTP payload format as written in a=rtpmap.
type payloadDesc struct {
	pt       uint8
	name     string // encoding name as written (case preserved)
	clock    int
	channels int // 0 when absent
	fmtp     string
}

func (p payloadDesc) rtpmap() string {
	s := fmt.Sprintf("%d %s/%d", p.pt, p.name, p.clock)
	if p.channels > 1 {
		s += "/" + strconv.Itoa(p.channels)
	}
	return s
}

// matches reports whether p is the same encoding as q (name and clock).
func (p payloadDesc) matches(q payloadDesc) bool {
	return strings.EqualFold(p.name, q.name) && p.clock == q.clock
}

// describe returns the payload description of a codec with payload type pt
// (channels and fmtp as the codec asks for them, see codec.SDPDescriber).
func describe(c codec.Codec, pt uint8) payloadDesc {
	ch := 0
	if c.Format().Channels > 1 {
		ch = c.Format().Channels
	}
	p := payloadDesc{pt: pt, name: c.Name(), clock: c.ClockRate(), channels: ch}
	if d, ok := c.(codec.SDPDescriber); ok {
		p.channels = d.RTPMapChannels()
		p.fmtp = d.FMTP()
	}
	return p
}

// localFMTP is our fmtp for a codec we negotiated as p (by its rtpmap).
func localFMTP(p payloadDesc) string {
	if c, ok := codec.ByRTPMap(p.name, p.clock); ok {
		if d, ok := c.(codec.SDPDescriber); ok {
			return d.FMTP()
		}
	}
	return ""
}

// staticDesc is the implied rtpmap of a static payload type without one.
func staticDesc(pt uint8) (payloadDesc, bool) {
	for name, spt := range staticPayloadTypes {
		if spt == pt {
			return payloadDesc{pt: pt, name: name, clock: 8000}, true
		}
	}
	return payloadDesc{}, false
}

// remoteMedia is what we take from the remote's audio m= line.
type remoteMedia struct {
	addr      netip.Addr // zero when c= is 0.0.0.0 / :: (old-style hold)
	port      int
	rtcpPort  int
	dir       Direction
	payloads  []payloadDesc // in the remote's order
	sessionID uint64
	proto     string   // m= transport, upper case ("RTP/AVP", "RTP/SAVP"...)
	secure    bool     // proto is RTP/SAVP or RTP/SAVPF
	crypto    []string // a=crypto values of the audio stream, in order
}

// parseRemote parses a remote SDP and extracts its first audio stream.
func parseRemote(raw []byte) (rm remoteMedia, err error) {
	defer func() {
		// The SDP parser is third-party code fed with network input; never
		// let a bug there take the phone down.
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: parser failure: %v", ErrBadSDP, r)
		}
	}()
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(raw); err != nil {
		return rm, fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	rm.sessionID = sd.Origin.SessionID
	var md *sdp.MediaDescription
	for _, m := range sd.MediaDescriptions {
		if m != nil && strings.EqualFold(m.MediaName.Media, "audio") {
			md = m
			break
		}
	}
	if md == nil {
		return rm, fmt.Errorf("%w: no audio stream (m=audio) in SDP", ErrBadSDP)
	}
	proto := strings.ToUpper(strings.Join(md.MediaName.Protos, "/"))
	if proto != "RTP/AVP" && proto != "RTP/AVPF" && !secureProto(proto) {
		return rm, fmt.Errorf("%w: audio transport %q (only RTP/AVP and SDES-keyed RTP/SAVP are supported)",
			ErrUnsupportedTransport, proto)
	}
	rm.proto, rm.secure = proto, secureProto(proto)
	rm.port = md.MediaName.Port.Value
	if rm.port <= 0 || rm.port > 65535 {
		return rm, fmt.Errorf("%w: audio stream disabled or invalid port %d", ErrBadSDP, rm.port)
	}
	rm.rtcpPort = rm.port + 1

	ci := md.ConnectionInformation
	if ci == nil {
		ci = sd.ConnectionInformation
	}
	if ci == nil || ci.Address == nil {
		return rm, fmt.Errorf("%w: no connection address (c=)", ErrBadSDP)
	}
	host := ci.Address.Address
	if i := strings.IndexByte(host, '/'); i >= 0 { // multicast TTL suffix
		host = host[:i]
	}
	addr, perr := netip.ParseAddr(host)
	if perr != nil {
		return rm, fmt.Errorf("%w: connection address %q is not an IP address", ErrBadSDP, host)
	}
	rm.addr = addr.Unmap()

	rm.dir = SendRecv
	for _, a := range sd.Attributes {
		if d, ok := parseDirection(a.Key); ok {
			rm.dir = d
		}
	}
	rtpmaps := map[uint8]payloadDesc{}
	fmtps := map[uint8]string{}
	for _, a := range md.Attributes {
		if d, ok := parseDirection(a.Key); ok {
			rm.dir = d
			continue
		}
		switch a.Key {
		case "rtpmap":
			if p, ok := parseRTPMap(a.Value); ok {
				rtpmaps[p.pt] = p
			}
		case "fmtp":
			pt, rest, ok := strings.Cut(a.Value, " ")
			if n, err := strconv.ParseUint(pt, 10, 7); ok && err == nil {
				fmtps[uint8(n)] = strings.TrimSpace(rest)
			}
		case "crypto":
			rm.crypto = append(rm.crypto, a.Value)
		case "rtcp":
			f := strings.Fields(a.Value)
			if len(f) > 0 {
				if n, err := strconv.Atoi(f[0]); err == nil && n > 0 && n < 65536 {
					rm.rtcpPort = n
				}
			}
		}
	}
	if rm.addr.IsUnspecified() {
		// RFC 2543 hold: "do not send to me". The holder may still send.
		rm.addr = netip.Addr{}
		rm.dir = makeDirection(rm.dir.Sends(), false)
	}
	for _, f := range md.MediaName.Formats {
		n, err := strconv.ParseUint(f, 10, 7)
		if err != nil {
			continue
		}
		pt := uint8(n)
		p, ok := rtpmaps[pt]
		if !ok {
			if p, ok = staticDesc(pt); !ok {
				continue
			}
		}
		p.fmtp = fmtps[pt]
		rm.payloads = append(rm.payloads, p)
	}
	return rm, nil
}

// parseRTPMap parses "96 telephone-event/8000[/1]".
func parseRTPMap(v string) (payloadDesc, bool) {
	ptS, enc, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		return payloadDesc{}, false
	}
	n, err := strconv.ParseUint(ptS, 10, 7)
	if err != nil {
		return payloadDesc{}, false
	}
	parts := strings.Split(strings.TrimSpace(enc), "/")
	if len(parts) < 2 || parts[0] == "" {
		return payloadDesc{}, false
	}
	clock, err := strconv.Atoi(parts[1])
	if err != nil || clock <= 0 {
		return payloadDesc{}, false
	}
	p := payloadDesc{pt: uint8(n), name: parts[0], clock: clock}
	if len(parts) > 2 {
		p.channels, _ = strconv.Atoi(parts[2])
	}
	return p, true
}

// find returns the first payload of list that matches want.
func find(list []payloadDesc, want payloadDesc) (payloadDesc, bool) {
	for _, p := range list {
		if p.matches(want) {
			return p, true
		}
	}
	return payloadDesc{}, false
}

// pickCodec returns the first payload of order (ours, in preference order)
// that remote lists, as the remote wrote it but named as we name it. A
// remote payload of the same encoding at another clock rate for which
// audio/codec has a variant (Opus at 16000, as RingCentral offers it)
// counts as a match too, after an exact match of the same codec.
func pickCodec(remote, order []payloadDesc) (payloadDesc, bool) {
	for _, want := range order {
		p, ok := find(remote, want)
		if !ok {
			for _, q := range remote {
				if strings.EqualFold(q.name, want.name) {
					if _, variant := codec.ByRTPMap(q.name, q.clock); variant {
						p, ok = q, true
						break
					}
				}
			}
		}
		if ok {
			p.name = want.name
			return p, true
		}
	}
	return payloadDesc{}, false
}

// findTE returns the remote's telephone-event payload, preferring the one
// at clock (the audio codec's RTP clock), then 8000 Hz, then any.
func findTE(list []payloadDesc, clock int) (payloadDesc, bool) {
	for _, c := range []int{clock, 8000} {
		if p, ok := find(list, payloadDesc{name: telephoneEvent, clock: c}); ok {
			return p, true
		}
	}
	for _, p := range list {
		if strings.EqualFold(p.name, telephoneEvent) {
			return p, true
		}
	}
	return payloadDesc{}, false
}

// isTE reports whether p is telephone-event.
func isTE(p payloadDesc) bool { return strings.EqualFold(p.name, telephoneEvent) }

// localDescription holds what we put into one SDP of ours.
type localDescription struct {
	sessionID, version uint64
	addr               netip.Addr
	port               int
	dir                Direction
	payloads           []payloadDesc // audio codecs then telephone-event
	proto              string        // m= transport; "" means RTP/AVP
	crypto             []cryptoAttr  // a=crypto lines (SDES), none for plain RTP
}

// marshal writes the SDP with pion/sdp.
func (l localDescription) marshal() ([]byte, error) {
	addrType := "IP4"
	if l.addr.Is6() {
		addrType = "IP6"
	}
	ip := l.addr.String()
	md := &sdp.MediaDescription{
		MediaName: sdp.MediaName{
			Media:  "audio",
			Port:   sdp.RangedPort{Value: l.port},
			Protos: []string{"RTP", "AVP"},
		},
	}
	if l.proto != "" {
		md.MediaName.Protos = strings.Split(l.proto, "/")
	}
	for _, p := range l.payloads {
		md.MediaName.Formats = append(md.MediaName.Formats, strconv.Itoa(int(p.pt)))
	}
	for _, p := range l.payloads {
		md.Attributes = append(md.Attributes, sdp.NewAttribute("rtpmap", p.rtpmap()))
		if p.fmtp != "" {
			md.Attributes = append(md.Attributes, sdp.NewAttribute("fmtp", fmt.Sprintf("%d %s", p.pt, p.fmtp)))
		}
	}
	for _, c := range l.crypto {
		md.Attributes = append(md.Attributes, sdp.NewAttribute("crypto", c.sdpValue()))
	}
	md.Attributes = append(md.Attributes,
		sdp.NewAttribute("ptime", strconv.Itoa(codec.FrameMillis)),
		sdp.NewPropertyAttribute(l.dir.String()))
	sd := &sdp.SessionDescription{
		Version: 0,
		Origin: sdp.Origin{
			Username:       "switchboard",
			SessionID:      l.sessionID,
			SessionVersion: l.version,
			NetworkType:    "IN",
			AddressType:    addrType,
			UnicastAddress: ip,
		},
		SessionName: "switchboard",
		ConnectionInformation: &sdp.ConnectionInformation{
			NetworkType: "IN",
			AddressType: addrType,
			Address:     &sdp.Address{Address: ip},
		},
		TimeDescriptions:  []sdp.TimeDescription{{Timing: sdp.Timing{}}},
		MediaDescriptions: []*sdp.MediaDescription{md},
	}
	return sd.Marshal()
}
