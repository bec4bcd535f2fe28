package testpeer

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// registerNoAuth sends one REGISTER and expects a 401 challenge.
const registerNoAuth = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register without credentials">
  <send>
    <![CDATA[
REGISTER sip:[service] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
Max-Forwards: 70
From: <sip:alice@[service]>;tag=[pid]SIPpTag00[call_number]
To: <sip:alice@[service]>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:alice@[local_ip]:[local_port]>
Expires: 60
Content-Length: 0

    ]]>
  </send>
  <recv response="401" />
</scenario>
`

func TestRunSipp(t *testing.T) {
	if testing.Short() {
		t.Skip("starts kamailio and sipp")
	}
	k := StartKamailio(t, KamailioOptions{Users: map[string]string{"alice": "x"}})
	scen := filepath.Join(t.TempDir(), "reg.xml")
	if err := os.WriteFile(scen, []byte(registerNoAuth), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, tr := range []string{"u1", "t1"} {
		if _, err := RunSipp(ctx, t, "-sf", scen, "-s", k.Domain, "-t", tr, "-m", "1", "-timeout", "10s", "-timeout_error", k.UDPAddr); err != nil {
			t.Errorf("sipp -t %s: %v", tr, err)
		}
	}

	// Garbage must not kill kamailio.
	SendUDP(t, k.UDPAddr, [][]byte{
		[]byte("\x00\x01garbage"),
		[]byte("INVITE sip:bob@" + k.Domain + " SIP/2.0\r\nVia: broken\r\n\r\n"),
		[]byte("SIP/2.0 200 OK\r\nCSeq: nonsense\r\n\r\n"),
	})
	if code, err := k.Options(ctx, "udp"); err != nil || code != 200 {
		t.Errorf("kamailio after garbage: %d %v", code, err)
	}
}
