package testpeer

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"
)

func TestKamailio(t *testing.T) {
	if testing.Short() {
		t.Skip("starts kamailio")
	}
	k := StartKamailio(t, KamailioOptions{Users: map[string]string{"alice": `pa"ss\word`, "bob": "b0b"}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	for _, tr := range []string{"udp", "tcp", "tls"} {
		code, err := k.Options(ctx, tr)
		if err != nil || code != 200 {
			t.Errorf("OPTIONS over %s: %d %v", tr, code, err)
		}
	}

	// TLS: the server certificate verifies against CAFile for both the IP
	// and the domain name.
	for _, name := range []string{"127.0.0.1", k.Domain} {
		cfg := k.TLSConfig()
		cfg.ServerName = name
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", k.TLSAddr, cfg)
		if err != nil {
			t.Errorf("TLS handshake as %s: %v", name, err)
			continue
		}
		c.Close()
	}

	// Unauthenticated REGISTER is challenged.
	for _, tr := range []string{"udp", "tcp"} {
		r, err := SendRequest(ctx, tr, k.Addr(tr), nil, "REGISTER", "sip:"+k.Domain,
			"To: <sip:alice@"+k.Domain+">", "Contact: <sip:alice@127.0.0.1:5999>", "Expires: 60")
		if err != nil {
			t.Fatalf("REGISTER over %s: %v", tr, err)
		}
		if r.Status != 401 || !strings.Contains(r.Header.Get("WWW-Authenticate"), `realm="`+k.Domain+`"`) {
			t.Errorf("REGISTER over %s: got %d, WWW-Authenticate %q; want 401", tr, r.Status, r.Header.Get("WWW-Authenticate"))
		}
	}

	// Digest registration over each transport; the binding is returned.
	for _, tr := range []string{"udp", "tcp", "tls"} {
		r, err := k.Register(ctx, tr, "alice", `pa"ss\word`, "", 60)
		if err != nil {
			t.Fatalf("REGISTER with digest over %s: %v", tr, err)
		}
		if r.Status != 200 || !strings.Contains(r.Header.Get("Contact"), "sip:alice@127.0.0.1:9") {
			t.Errorf("REGISTER with digest over %s: %d %s, Contact %q", tr, r.Status, r.Reason, r.Header.Get("Contact"))
		}
		if r, err := k.Register(ctx, tr, "alice", "wrong", "", 60); err != nil || r.Status != 401 {
			t.Errorf("REGISTER with a wrong password over %s: %v %v; want 401", tr, r, err)
		}
	}

	// Routing: unknown user 404, known but unregistered 480 (OPTIONS needs
	// no credentials).
	for _, c := range []struct {
		user string
		want int
	}{{"carol", 404}, {"bob", 480}} {
		r, err := SendRequest(ctx, "udp", k.UDPAddr, nil, "OPTIONS", "sip:"+c.user+"@"+k.Domain)
		if err != nil || r.Status != c.want {
			t.Errorf("OPTIONS to %s: %v %v; want %d", c.user, r, err, c.want)
		}
	}
	// An INVITE from a local user is challenged by the proxy.
	r, err := SendRequest(ctx, "udp", k.UDPAddr, nil, "INVITE", "sip:bob@"+k.Domain, "From: <sip:alice@"+k.Domain+">")
	if err != nil || r.Status != 407 {
		t.Errorf("INVITE without credentials: %v %v; want 407", r, err)
	}

	// Restart: same ports, answers again.
	udp, tcp, tlsAddr := k.UDPAddr, k.TCPAddr, k.TLSAddr
	k.Stop()
	if _, err := k.Options(ctx, "tcp"); err == nil {
		t.Errorf("OPTIONS answered while stopped")
	}
	k.Start(t)
	if k.UDPAddr != udp || k.TCPAddr != tcp || k.TLSAddr != tlsAddr {
		t.Errorf("addresses changed on restart")
	}
	for _, tr := range []string{"udp", "tcp", "tls"} {
		code, err := k.Options(ctx, tr)
		if err != nil || code != 200 {
			t.Errorf("after restart, OPTIONS over %s: %d %v", tr, code, err)
		}
	}
	// Fresh memory: alice's registration is gone.
	if r, err := SendRequest(ctx, "udp", k.UDPAddr, nil, "OPTIONS", "sip:alice@"+k.Domain); err != nil || r.Status != 480 {
		t.Errorf("OPTIONS to alice after restart: %v %v; want 480", r, err)
	}
}

func TestKamailioSHA256(t *testing.T) {
	if testing.Short() {
		t.Skip("starts kamailio")
	}
	k := StartKamailio(t, KamailioOptions{Users: map[string]string{"alice": "secret"}, Algorithm: "SHA-256"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := SendRequest(ctx, "udp", k.UDPAddr, nil, "REGISTER", "sip:"+k.Domain)
	if err != nil {
		t.Fatal(err)
	}
	if ch := r.Header.Get("WWW-Authenticate"); r.Status != 401 || !strings.Contains(ch, "algorithm=SHA-256") {
		t.Errorf("challenge %d %q; want 401 with algorithm=SHA-256", r.Status, ch)
	}
	for _, tr := range []string{"udp", "tcp"} {
		r, err := k.Register(ctx, tr, "alice", "secret", "", 60)
		if err != nil || r.Status != 200 {
			t.Errorf("SHA-256 REGISTER over %s: %v %v", tr, r, err)
		}
	}
}
