package media

import (
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"github.com/pion/rtcp"
)

// ntpEpochOffset is seconds from 1900 (NTP) to 1970 (Unix).
const ntpEpochOffset = 2208988800

// toNTP converts t to 64-bit NTP format.
func toNTP(t time.Time) uint64 {
	secs := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return secs<<32 | frac
}

// ntpShort is the middle 32 bits of the NTP time (RFC 3550 LSR/DLSR units,
// 1/65536 s).
func ntpShort(t time.Time) uint32 { return uint32(toNTP(t) >> 16) }

// rtcpDestLocked is where RTCP goes: where the peer's RTCP comes from,
// else the latched RTP source port+1, else the SDP's RTCP address.
func (s *Session) rtcpDestLocked() netip.AddrPort {
	switch {
	case s.rtcpFrom.IsValid():
		return s.rtcpFrom
	case s.latched.IsValid() && s.latched.Port() < 65535:
		return netip.AddrPortFrom(s.latched.Addr(), s.latched.Port()+1)
	}
	return s.remoteRTCP
}

// rtcpDest is rtcpDestLocked under the lock.
func (s *Session) rtcpDest() netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rtcpDestLocked()
}

// rtcpSendLoop sends a compound SR/RR + SDES every interval (randomised
// ±50 % as RFC 3550 §6.3.1 asks).
func (s *Session) rtcpSendLoop() {
	timer := time.NewTimer(s.nextRTCPInterval())
	defer timer.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case now := <-timer.C:
			s.sendReport(now)
			timer.Reset(s.nextRTCPInterval())
		}
	}
}

func (s *Session) nextRTCPInterval() time.Duration {
	return time.Duration(float64(s.rtcpIvl) * (0.5 + rand.Float64()))
}

// buildReport makes our compound RTCP packet and its destination.
func (s *Session) buildReport(now time.Time) ([]byte, netip.AddrPort, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dest := s.rtcpDestLocked()
	if !s.negotiated || !dest.IsValid() {
		return nil, dest, nil
	}
	var reports []rtcp.ReceptionReport
	if s.rx.init {
		rr := rtcp.ReceptionReport{
			SSRC:               s.rx.ssrc,
			FractionLost:       s.rx.fraction(),
			TotalLost:          uint32(min(s.rx.lost(), 0x7fffff)),
			LastSequenceNumber: s.rx.extendedMax(),
			Jitter:             uint32(s.rx.jitter),
			LastSenderReport:   s.lastSR,
		}
		if s.lastSR != 0 {
			rr.Delay = uint32(now.Sub(s.lastSRAt).Seconds() * 65536)
		}
		reports = append(reports, rr)
	}
	var first rtcp.Packet
	if s.sentSince {
		rtpTime := s.txTS
		if !s.txTime.IsZero() {
			rtpTime += uint32(now.Sub(s.txTime).Seconds() * float64(s.txClock))
		}
		first = &rtcp.SenderReport{
			SSRC:        s.ssrc,
			NTPTime:     toNTP(now),
			RTPTime:     rtpTime,
			PacketCount: uint32(s.packetsSent.Load()),
			OctetCount:  uint32(s.bytesSent.Load()),
			Reports:     reports,
		}
	} else {
		first = &rtcp.ReceiverReport{SSRC: s.ssrc, Reports: reports}
	}
	s.sentSince = false
	b, err := rtcp.Marshal([]rtcp.Packet{first, rtcp.NewCNAMESourceDescription(s.ssrc, s.cname)})
	return b, dest, err
}

func (s *Session) sendReport(now time.Time) {
	b, dest, err := s.buildReport(now)
	if err != nil {
		s.log.Warn("rtcp marshal", "err", err)
		return
	}
	if b == nil {
		return
	}
	if b, err = s.sec.protectRTCP(b); err != nil {
		s.log.Debug("srtcp protect", "err", err)
		return
	}
	if _, err := s.rtcpConn.WriteToUDPAddrPort(b, dest); err != nil {
		s.log.Debug("rtcp send", "err", err)
		return
	}
	s.rtcpSent.Add(1)
}

// sendBye tells the peer we are leaving (best effort, at Close).
func (s *Session) sendBye() {
	s.mu.Lock()
	dest := s.rtcpDestLocked()
	ok := s.negotiated && dest.IsValid()
	s.mu.Unlock()
	if !ok {
		return
	}
	b, err := rtcp.Marshal([]rtcp.Packet{
		&rtcp.ReceiverReport{SSRC: s.ssrc},
		rtcp.NewCNAMESourceDescription(s.ssrc, s.cname),
		&rtcp.Goodbye{Sources: []uint32{s.ssrc}},
	})
	if err == nil {
		if b, err = s.sec.protectRTCP(b); err == nil {
			s.rtcpConn.WriteToUDPAddrPort(b, dest)
		}
	}
}

func (s *Session) rtcpRecvLoop() {
	buf := make([]byte, 2048)
	for {
		n, from, err := s.rtcpConn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		s.handleRTCP(buf[:n], netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), time.Now())
	}
}

// handleRTCP records the peer's sender info (for our LSR/DLSR) and the
// report blocks about our stream (loss, jitter, RTT). Garbage is ignored.
func (s *Session) handleRTCP(b []byte, from netip.AddrPort, now time.Time) {
	b, err := s.sec.unprotectRTCP(b)
	if err != nil {
		if !errors.Is(err, errPlainRefused) {
			s.srtpFail.Add(1)
		}
		return
	}
	pkts, err := rtcp.Unmarshal(b)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.negotiated || len(pkts) == 0 {
		return
	}
	// A compound packet starts with SR or RR (RFC 3550 §6.1) from the
	// peer's SSRC and host; anything else is ignored.
	var sender uint32
	switch p := pkts[0].(type) {
	case *rtcp.SenderReport:
		sender = p.SSRC
	case *rtcp.ReceiverReport:
		sender = p.SSRC
	default:
		return
	}
	if s.rx.init && sender != s.rx.ssrc {
		return
	}
	if peer := s.destLocked(); peer.IsValid() && peer.Addr() != from.Addr() {
		return
	}
	s.rtcpRecv.Add(1)
	s.rtcpFrom = from
	var blocks []rtcp.ReceptionReport
	for _, p := range pkts {
		switch p := p.(type) {
		case *rtcp.SenderReport:
			s.lastSR = uint32(p.NTPTime >> 16)
			s.lastSRAt = now
			blocks = append(blocks, p.Reports...)
		case *rtcp.ReceiverReport:
			blocks = append(blocks, p.Reports...)
		}
	}
	for _, rb := range blocks {
		if rb.SSRC != s.ssrc {
			continue
		}
		s.remoteFrac = float64(rb.FractionLost) / 256
		s.remoteLost = uint64(rb.TotalLost & 0xffffff)
		if s.txClock > 0 {
			s.remoteJit = time.Duration(float64(rb.Jitter) / float64(s.txClock) * float64(time.Second))
		}
		if rb.LastSenderReport != 0 {
			if d := ntpShort(now) - rb.LastSenderReport - rb.Delay; d < 1<<31 {
				s.rtt = time.Duration(float64(d) / 65536 * float64(time.Second))
			}
		}
	}
}
