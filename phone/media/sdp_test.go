package media

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/pion/sdp/v3"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// g711 is the codec list the older tests were written for (the package
// default before Opus and G.722).
var g711 = []string{"PCMU", "PCMA"}

// newSession returns a session on loopback offering codecs (default g711).
func newSession(t testing.TB, codecs ...string) *Session {
	t.Helper()
	if len(codecs) == 0 {
		codecs = g711
	}
	s, err := New(context.Background(), Config{LocalIP: loopback, Codecs: codecs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func parseSDP(t *testing.T, b []byte) *sdp.SessionDescription {
	t.Helper()
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(b); err != nil {
		t.Fatalf("our SDP does not parse: %v\n%s", err, b)
	}
	return &sd
}

func attrs(md *sdp.MediaDescription, key string) []string {
	var out []string
	for _, a := range md.Attributes {
		if a.Key == key {
			out = append(out, a.Value)
		}
	}
	return out
}

func hasProp(md *sdp.MediaDescription, key string) bool {
	_, ok := md.Attribute(key)
	return ok
}

func TestOfferSDP(t *testing.T) {
	s := newSession(t, "PCMU", "PCMA")
	b, err := s.Offer()
	if err != nil {
		t.Fatal(err)
	}
	sd := parseSDP(t, b)
	if sd.ConnectionInformation == nil || sd.ConnectionInformation.Address.Address != "127.0.0.1" ||
		sd.ConnectionInformation.AddressType != "IP4" {
		t.Errorf("c= %+v", sd.ConnectionInformation)
	}
	if sd.Origin.UnicastAddress != "127.0.0.1" {
		t.Errorf("o= address %q", sd.Origin.UnicastAddress)
	}
	md := sd.MediaDescriptions[0]
	port := md.MediaName.Port.Value
	if port != int(s.LocalAddr().Port()) || port%2 != 0 {
		t.Errorf("m= port %d, bound %v", port, s.LocalAddr())
	}
	if got := strings.Join(md.MediaName.Protos, "/"); got != "RTP/AVP" {
		t.Errorf("proto %s", got)
	}
	if !slices.Equal(md.MediaName.Formats, []string{"0", "8", "101"}) {
		t.Errorf("formats %v", md.MediaName.Formats)
	}
	if got := attrs(md, "rtpmap"); !slices.Equal(got, []string{"0 PCMU/8000", "8 PCMA/8000", "101 telephone-event/8000"}) {
		t.Errorf("rtpmap %v", got)
	}
	if got := attrs(md, "fmtp"); !slices.Equal(got, []string{"101 0-16"}) {
		t.Errorf("fmtp %v", got)
	}
	if got := attrs(md, "ptime"); !slices.Equal(got, []string{"20"}) {
		t.Errorf("ptime %v", got)
	}
	if !hasProp(md, "sendrecv") || hasProp(md, "sendonly") {
		t.Errorf("direction attributes %v", md.Attributes)
	}
	if strings.Contains(string(b), "0.0.0.0") {
		t.Error("offer advertises 0.0.0.0")
	}
}

func TestOfferPreferenceOrder(t *testing.T) {
	s := newSession(t, "pcma", "PCMU")
	b, _ := s.Offer()
	md := parseSDP(t, b).MediaDescriptions[0]
	if !slices.Equal(md.MediaName.Formats, []string{"8", "0", "101"}) {
		t.Errorf("formats %v", md.MediaName.Formats)
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New(context.Background(), Config{LocalIP: netip.IPv4Unspecified()}); err == nil {
		t.Error("0.0.0.0 accepted")
	}
	if _, err := New(context.Background(), Config{LocalIP: loopback, Codecs: []string{"G999"}}); err == nil {
		t.Error("unknown codec accepted")
	}
	if _, err := New(context.Background(), Config{LocalIP: loopback, PortMin: 5, PortMax: 5}); err == nil {
		t.Error("empty port range accepted")
	}
}

func TestPortRange(t *testing.T) {
	// Find a free even pair first, then confine New to it.
	probe := newSession(t)
	p := int(probe.LocalAddr().Port())
	probe.Close()
	s, err := New(context.Background(), Config{LocalIP: loopback, PortMin: p, PortMax: p + 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if int(s.LocalAddr().Port()) != p {
		t.Fatalf("port %d, want %d", s.LocalAddr().Port(), p)
	}
	if _, err := New(context.Background(), Config{LocalIP: loopback, PortMin: p, PortMax: p + 1}); err == nil {
		t.Fatal("second session got the same busy range")
	}
}

// remoteOffer builds a peer's offer.
func remoteOffer(port int, formats string, extra ...string) []byte {
	lines := []string{
		"v=0",
		"o=peer 42 1 IN IP4 127.0.0.1",
		"s=-",
		"c=IN IP4 127.0.0.1",
		"t=0 0",
		fmt.Sprintf("m=audio %d RTP/AVP %s", port, formats),
	}
	lines = append(lines, extra...)
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

func TestAnswerOnlyPCMA(t *testing.T) {
	s := newSession(t, "PCMU", "PCMA")
	ans, err := s.Answer(remoteOffer(40000, "8 96",
		"a=rtpmap:8 PCMA/8000", "a=rtpmap:96 telephone-event/8000", "a=fmtp:96 0-15", "a=sendrecv"))
	if err != nil {
		t.Fatal(err)
	}
	md := parseSDP(t, ans).MediaDescriptions[0]
	if !slices.Equal(md.MediaName.Formats, []string{"8", "96"}) {
		t.Errorf("formats %v", md.MediaName.Formats)
	}
	if got := attrs(md, "rtpmap"); !slices.Equal(got, []string{"8 PCMA/8000", "96 telephone-event/8000"}) {
		t.Errorf("rtpmap %v", got)
	}
	if got := attrs(md, "fmtp"); !slices.Equal(got, []string{"96 0-15"}) {
		t.Errorf("fmtp %v", got)
	}
	if !hasProp(md, "sendrecv") {
		t.Error("answer not sendrecv")
	}
	st := s.Stats()
	if s.Codec() != "PCMA" || st.PayloadType != 8 || st.DTMFPayloadType != 96 {
		t.Errorf("codec %s pt %d te %d", s.Codec(), st.PayloadType, st.DTMFPayloadType)
	}
	if st.RemoteAddr != "127.0.0.1:40000" {
		t.Errorf("remote %s", st.RemoteAddr)
	}
}

func TestAnswerUsesOurPreference(t *testing.T) {
	s := newSession(t, "PCMU", "PCMA")
	// Static types without rtpmap lines, peer prefers PCMA; no telephone-event.
	ans, err := s.Answer(remoteOffer(40000, "8 0"))
	if err != nil {
		t.Fatal(err)
	}
	md := parseSDP(t, ans).MediaDescriptions[0]
	if !slices.Equal(md.MediaName.Formats, []string{"0"}) || s.Codec() != "PCMU" {
		t.Errorf("formats %v codec %s", md.MediaName.Formats, s.Codec())
	}
	if s.Stats().DTMFPayloadType != -1 {
		t.Error("telephone-event negotiated though not offered")
	}
	if err := s.Start(nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SendDTMF(context.Background(), "1"); !errors.Is(err, ErrNoTelephoneEvent) {
		t.Errorf("SendDTMF without telephone-event: %v", err)
	}
}

func TestAnswerErrors(t *testing.T) {
	tests := []struct {
		name  string
		offer []byte
		want  error
		words string
	}{
		{"no common codec", remoteOffer(40000, "18 101", "a=rtpmap:18 G729/8000", "a=rtpmap:101 telephone-event/8000"),
			ErrNoCommonCodec, "G729/8000"},
		{"wrong clock", remoteOffer(40000, "96", "a=rtpmap:96 PCMU/16000"), ErrNoCommonCodec, "PCMU/16000"},
		{"garbage", []byte("hello"), ErrBadSDP, ""},
		{"no audio", []byte("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=video 4000 RTP/AVP 96\r\n"), ErrBadSDP, "audio"},
		{"srtp", []byte("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 0\r\n"), ErrUnsupportedTransport, "SAVP"},
		{"no c=", []byte("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"), ErrBadSDP, "c="},
		{"hostname c=", []byte("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 pbx.example\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"), ErrBadSDP, "pbx.example"},
		{"port 0", remoteOffer(0, "0"), ErrBadSDP, "port"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSession(t, "PCMU", "PCMA")
			_, err := s.Answer(tc.offer)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.words) {
				t.Errorf("error %q does not mention %q", err, tc.words)
			}
			if s.Codec() != "" {
				t.Error("failed negotiation changed the codec")
			}
		})
	}
}

func TestAnswerDirections(t *testing.T) {
	tests := []struct {
		attr      string
		conn      string
		remote    Direction
		ourAnswer string
	}{
		{"a=sendrecv", "127.0.0.1", SendRecv, "sendrecv"},
		{"a=sendonly", "127.0.0.1", SendOnly, "recvonly"},
		{"a=recvonly", "127.0.0.1", RecvOnly, "sendonly"},
		{"a=inactive", "127.0.0.1", Inactive, "inactive"},
		{"", "0.0.0.0", SendOnly, "recvonly"}, // RFC 2543 hold
	}
	for _, tc := range tests {
		t.Run(tc.attr+tc.conn, func(t *testing.T) {
			s := newSession(t)
			offer := strings.Replace(string(remoteOffer(40000, "0", tc.attr)), "c=IN IP4 127.0.0.1", "c=IN IP4 "+tc.conn, 1)
			ans, err := s.Answer([]byte(offer))
			if err != nil {
				t.Fatal(err)
			}
			md := parseSDP(t, ans).MediaDescriptions[0]
			if !hasProp(md, tc.ourAnswer) {
				t.Errorf("answer lacks a=%s:\n%s", tc.ourAnswer, ans)
			}
			if s.RemoteDirection() != tc.remote {
				t.Errorf("RemoteDirection %v, want %v", s.RemoteDirection(), tc.remote)
			}
		})
	}
}

func TestReofferVersionAndDirection(t *testing.T) {
	a, b := newSession(t), newSession(t)
	offer, _ := a.Offer()
	ans, err := b.Answer(offer)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetAnswer(ans); err != nil {
		t.Fatal(err)
	}
	v0 := parseSDP(t, offer).Origin.SessionVersion
	hold, err := a.Reoffer(SendOnly)
	if err != nil {
		t.Fatal(err)
	}
	sd := parseSDP(t, hold)
	if sd.Origin.SessionVersion != v0+1 || sd.Origin.SessionID != parseSDP(t, offer).Origin.SessionID {
		t.Errorf("o= %+v after %d", sd.Origin, v0)
	}
	md := sd.MediaDescriptions[0]
	if !hasProp(md, "sendonly") || hasProp(md, "sendrecv") {
		t.Errorf("hold offer direction: %s", hold)
	}
	// Negotiated codec first, telephone-event kept.
	if md.MediaName.Formats[0] != "0" || !slices.Contains(md.MediaName.Formats, "101") {
		t.Errorf("re-offer formats %v", md.MediaName.Formats)
	}
	// The same offer again keeps the version (RFC 3264 §8).
	again, _ := a.Reoffer(SendOnly)
	if v := parseSDP(t, again).Origin.SessionVersion; v != v0+1 {
		t.Errorf("unchanged re-offer version %d, want %d", v, v0+1)
	}
	resume, _ := a.Reoffer(SendRecv)
	if v := parseSDP(t, resume).Origin.SessionVersion; v != v0+2 {
		t.Errorf("resume version %d, want %d", v, v0+2)
	}
	if err := a.SetAnswer(ans); err != nil {
		t.Fatal(err)
	}
	if err := a.SetAnswer(ans); !errors.Is(err, ErrNoOffer) {
		t.Errorf("second SetAnswer: %v", err)
	}
}

func TestSetAnswerRejectsUnofferedCodec(t *testing.T) {
	a := newSession(t, "PCMU")
	if _, err := a.Offer(); err != nil {
		t.Fatal(err)
	}
	err := a.SetAnswer(remoteOffer(40000, "8", "a=rtpmap:8 PCMA/8000"))
	if !errors.Is(err, ErrNoCommonCodec) {
		t.Fatalf("err = %v", err)
	}
}

func TestDirectionString(t *testing.T) {
	for d, s := range map[Direction]string{SendRecv: "sendrecv", SendOnly: "sendonly", RecvOnly: "recvonly", Inactive: "inactive", 9: "unknown"} {
		if d.String() != s {
			t.Errorf("%d.String() = %q", d, d.String())
		}
	}
	if SendOnly.Reverse() != RecvOnly || Inactive.Reverse() != Inactive {
		t.Error("Reverse")
	}
}

func FuzzAnswer(f *testing.F) {
	f.Add(remoteOffer(4000, "0 8 101", "a=rtpmap:101 telephone-event/8000", "a=sendonly"))
	f.Add([]byte("v=0\r\nm=audio 1 RTP/AVP 0\r\n"))
	f.Add([]byte{})
	s, err := New(context.Background(), Config{LocalIP: loopback})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	f.Fuzz(func(t *testing.T, offer []byte) {
		ans, err := s.Answer(offer)
		if err == nil {
			var sd sdp.SessionDescription
			if err := sd.Unmarshal(ans); err != nil {
				t.Fatalf("our answer does not parse: %v", err)
			}
		}
		s.UpdateRemote(offer)
		s.SetAnswer(offer)
	})
}

func TestUpdateRemoteKeepsCodec(t *testing.T) {
	s := newSession(t, "PCMA", "PCMU")
	if _, err := s.Answer(remoteOffer(40000, "0", "a=sendrecv")); err != nil {
		t.Fatal(err)
	}
	if s.Codec() != "PCMU" {
		t.Fatalf("codec %s", s.Codec())
	}
	// The re-offer also lists PCMA (our favourite) but the call stays on PCMU,
	// and the peer moved to a new port.
	ans, err := s.UpdateRemote(remoteOffer(40002, "8 0", "a=sendonly"))
	if err != nil {
		t.Fatal(err)
	}
	md := parseSDP(t, ans).MediaDescriptions[0]
	if s.Codec() != "PCMU" || !slices.Equal(md.MediaName.Formats, []string{"0"}) || !hasProp(md, "recvonly") {
		t.Fatalf("codec %s answer:\n%s", s.Codec(), ans)
	}
	if st := s.Stats(); st.RemoteAddr != "127.0.0.1:40002" || st.RemoteDirection != SendOnly {
		t.Fatalf("stats %+v", st)
	}
}
