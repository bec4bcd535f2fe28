package media

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/pion/stun/v4"
)

// STUN (RFC 8489) learns the address a NAT gives our RTP socket, so the SDP
// advertises where the far end can reach us. pion/stun builds and checks
// the messages; the exchange itself (one Binding request from the RTP
// socket, before media starts) is a few lines here.

// stunTries and stunWait bound the discovery: a dead STUN server costs at
// most stunTries*stunWait at call set-up, then the local address is used.
const (
	stunTries = 2
	stunWait  = 400 * time.Millisecond
)

// discoverMapped asks server ("host:port") for conn's public address.
func discoverMapped(ctx context.Context, conn *net.UDPConn, server string) (netip.AddrPort, error) {
	raddr, err := net.DefaultResolver.LookupNetIP(ctx, "ip4", hostOnly(server))
	if err != nil || len(raddr) == 0 {
		return netip.AddrPort{}, fmt.Errorf("STUN server %q: %v", server, err)
	}
	_, portS, err := net.SplitHostPort(server)
	if err != nil {
		portS = "3478"
	}
	port, err := net.LookupPort("udp", portS)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("STUN server %q: %v", server, err)
	}
	to := net.UDPAddrFromAddrPort(netip.AddrPortFrom(raddr[0], uint16(port)))
	buf := make([]byte, 1500)
	defer conn.SetReadDeadline(time.Time{})
	for range stunTries {
		req := stun.MustBuild(stun.TransactionID, stun.BindingRequest, stun.Fingerprint)
		if _, err := conn.WriteToUDP(req.Raw, to); err != nil {
			return netip.AddrPort{}, err
		}
		deadline := time.Now().Add(stunWait)
		for {
			if ctx.Err() != nil {
				return netip.AddrPort{}, ctx.Err()
			}
			_ = conn.SetReadDeadline(deadline)
			n, from, err := conn.ReadFromUDP(buf)
			if err != nil {
				break // timeout: try again
			}
			if !stun.IsMessage(buf[:n]) || !from.IP.Equal(to.IP) {
				continue
			}
			res := &stun.Message{Raw: append([]byte(nil), buf[:n]...)}
			if res.Decode() != nil || res.TransactionID != req.TransactionID {
				continue
			}
			var xor stun.XORMappedAddress
			if err := xor.GetFrom(res); err != nil {
				var plain stun.MappedAddress
				if err := plain.GetFrom(res); err != nil {
					return netip.AddrPort{}, errors.New("STUN answer without a mapped address")
				}
				xor.IP, xor.Port = plain.IP, plain.Port
			}
			ip, ok := netip.AddrFromSlice(xor.IP)
			if !ok {
				return netip.AddrPort{}, errors.New("STUN answer with a bad address")
			}
			return netip.AddrPortFrom(ip.Unmap(), uint16(xor.Port)), nil
		}
	}
	return netip.AddrPort{}, fmt.Errorf("no answer from STUN server %s", server)
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}
