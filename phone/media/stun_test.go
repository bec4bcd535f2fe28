package media

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/stun/v4"
)

// stunServer answers Binding requests on loopback as a STUN server behind
// which the client sits at mapped (a NAT's public side). It returns its
// address.
func stunServer(t *testing.T, mappedIP string, mappedPort int) string {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			req := &stun.Message{Raw: append([]byte(nil), buf[:n]...)}
			if req.Decode() != nil || req.Type != stun.BindingRequest {
				continue
			}
			res := stun.MustBuild(stun.NewTransactionIDSetter(req.TransactionID), stun.BindingSuccess,
				&stun.XORMappedAddress{IP: net.ParseIP(mappedIP), Port: mappedPort}, stun.Fingerprint)
			_, _ = c.WriteToUDP(res.Raw, from)
		}
	}()
	return c.LocalAddr().String()
}

// TestSTUNAdvertisesMappedAddress: with a STUN server the offer carries
// the NAT's public address and port; without an answer, the local one
// (after a bounded wait).
func TestSTUNAdvertisesMappedAddress(t *testing.T) {
	srv := stunServer(t, "203.0.113.7", 40000)
	s, err := New(context.Background(), Config{LocalIP: loopback, Codecs: g711, STUNServer: srv})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	offer, err := s.Offer()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(offer), "c=IN IP4 203.0.113.7") || !strings.Contains(string(offer), "m=audio 40000 ") {
		t.Fatalf("offer does not advertise the mapped address:\n%s", offer)
	}

	dead, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}) // bound, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	start := time.Now()
	s2, err := New(context.Background(), Config{LocalIP: loopback, Codecs: g711, STUNServer: dead.LocalAddr().String()})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	offer, _ = s2.Offer()
	port := strconv.Itoa(int(s2.LocalAddr().Port()))
	if !strings.Contains(string(offer), "c=IN IP4 127.0.0.1") || !strings.Contains(string(offer), "m=audio "+port+" ") {
		t.Fatalf("offer without a STUN answer:\n%s", offer)
	}
	t.Logf("no STUN answer: local address after %v", time.Since(start).Round(time.Millisecond))
}
