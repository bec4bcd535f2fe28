package testpeer

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// TestKamailioWebSocket starts rtpengine and a Kamailio with ws/wss
// listeners and checks the WebSocket handshake answers 101 with the sip
// subprotocol.
func TestKamailioWebSocket(t *testing.T) {
	r := StartRtpengine(t)
	k := StartKamailio(t, KamailioOptions{Users: map[string]string{"alice": "a"}, WebSocket: true, Rtpengine: r})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", k.WSAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	req := "GET / HTTP/1.1\r\nHost: " + k.WSAddr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(line, "101") {
		t.Fatalf("handshake answered %q", line)
	}
}
