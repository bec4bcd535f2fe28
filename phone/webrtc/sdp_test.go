package webrtc

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// rcOffer is shaped like RingCentral's WebRTC offer (ringcentral.md 2.10):
// no a=mid, no BUNDLE, a sha-1 fingerprint, Opus at 16 and 48 kHz, G.729,
// PCMU, PCMA, G.722, iLBC and telephone-event; one host candidate.
const rcOffer = "v=0\r\n" +
	"o=- 3725963474 3725963474 IN IP4 127.0.0.1\r\n" +
	"s=SmcSip\r\n" +
	"c=IN IP4 127.0.0.1\r\n" +
	"t=0 0\r\n" +
	"m=audio 20040 UDP/TLS/RTP/SAVPF 109 111 18 0 8 9 96 101\r\n" +
	"a=rtpmap:109 OPUS/16000\r\n" +
	"a=fmtp:109 useinbandfec=1\r\n" +
	"a=rtcp-fb:109 ccm tmmbr\r\n" +
	"a=rtpmap:111 OPUS/48000/2\r\n" +
	"a=fmtp:111 useinbandfec=1\r\n" +
	"a=rtcp-fb:111 ccm tmmbr\r\n" +
	"a=rtpmap:18 G729/8000\r\n" +
	"a=fmtp:18 annexb=no\r\n" +
	"a=rtpmap:0 PCMU/8000\r\n" +
	"a=rtpmap:8 PCMA/8000\r\n" +
	"a=rtpmap:9 G722/8000\r\n" +
	"a=rtpmap:96 iLBC/8000\r\n" +
	"a=rtpmap:101 telephone-event/8000\r\n" +
	"a=fmtp:101 0-15\r\n" +
	"a=sendrecv\r\n" +
	"a=rtcp-mux\r\n" +
	"a=setup:actpass\r\n" +
	"a=fingerprint:sha-1 A1:B2:C3:D4:E5:F6:07:18:29:3A:4B:5C:6D:7E:8F:90:A1:B2:C3:D4\r\n" +
	"a=ice-ufrag:rc8Hq2\r\n" +
	"a=ice-pwd:Zk1yd3VxbWZ0b2x2ZXVqcHJzc3d4\r\n" +
	"a=candidate:1 1 UDP 2130706431 127.0.0.1 20040 typ host\r\n"

// TestAnswerRingCentralOffer: an offer without a=mid or BUNDLE and with a
// sha-1 fingerprint is accepted; our answer has a=mid, Opus/48000 first,
// telephone-event, no a=cryptex, and c=/m= from our host candidate.
func TestAnswerRingCentralOffer(t *testing.T) {
	m, err := newMediaSession(mediaConfig{codecs: []string{"opus", "PCMU", "PCMA"}, loopback: true,
		gather: 3 * time.Second, log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer m.close()
	if err := m.setOffer([]byte(rcOffer)); err != nil {
		t.Fatalf("RC offer refused: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ans, err := m.createAnswer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ToLower(string(ans))
	for _, want := range []string{"a=mid:0", "a=rtpmap:111 opus/48000/2", "a=rtpmap:101 telephone-event/8000", "c=in ip4 127.0.0.1", "a=candidate:"} {
		if !strings.Contains(s, want) {
			t.Errorf("answer lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "cryptex") || strings.Contains(s, "m=audio 9 ") || strings.Contains(s, " 0.0.0.0") {
		t.Errorf("answer has cryptex, port 9 or 0.0.0.0:\n%s", s)
	}
	if i, j := strings.Index(s, "m=audio "), strings.Index(s, "udp/tls/rtp/savpf 111"); i < 0 || j < 0 {
		t.Errorf("Opus/48000 is not our first payload:\n%s", s)
	}
}
