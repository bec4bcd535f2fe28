package media

// rxStats tracks reception of one remote SSRC per RFC 3550 appendix A.1
// (sequence numbers, loss) and A.8 (interarrival jitter).
type rxStats struct {
	init      bool
	ssrc      uint32
	maxSeq    uint16
	cycles    uint32 // shifted count of seq number wraps
	baseSeq   uint32
	badSeq    uint32 // last 'bad' seq + 1, for restart detection
	received  uint64
	bytes     uint64
	transit   int64
	hasTrans  bool
	jitter    float64 // in timestamp units
	expPrior  uint64
	recvPrior uint64
}

const (
	maxDropout  = 3000
	maxMisorder = 100
	seqMod      = 1 << 16
)

// reset starts tracking a (new) source.
func (r *rxStats) reset(ssrc uint32, seq uint16) {
	*r = rxStats{init: true, ssrc: ssrc, maxSeq: seq, baseSeq: uint32(seq), badSeq: seqMod + 1}
}

// update records one packet. arrival is the arrival time in timestamp units
// (any origin); ts the packet's RTP timestamp. It returns false for a packet
// that RFC 3550 considers invalid (a large sequence jump not yet confirmed).
func (r *rxStats) update(ssrc uint32, seq uint16, ts uint32, arrival int64, size int) bool {
	if !r.init || r.ssrc != ssrc {
		r.reset(ssrc, seq)
	} else {
		udelta := seq - r.maxSeq
		switch {
		case udelta < maxDropout:
			if seq < r.maxSeq {
				r.cycles += seqMod
			}
			r.maxSeq = seq
		case udelta <= seqMod-maxMisorder:
			// Very large jump: accept only if the next packet follows it.
			if uint32(seq) == r.badSeq {
				r.reset(ssrc, seq)
			} else {
				r.badSeq = (uint32(seq) + 1) & (seqMod - 1)
				return false
			}
		default:
			// Duplicate or reordered packet: counted, max unchanged.
		}
	}
	r.received++
	r.bytes += uint64(size)
	transit := arrival - int64(ts)
	if r.hasTrans {
		d := transit - r.transit
		if d < 0 {
			d = -d
		}
		r.jitter += (float64(d) - r.jitter) / 16
	}
	r.transit, r.hasTrans = transit, true
	return true
}

// extendedMax is the highest sequence number with wrap count.
func (r *rxStats) extendedMax() uint32 { return r.cycles + uint32(r.maxSeq) }

// expected is how many packets should have arrived so far.
func (r *rxStats) expected() uint64 {
	if !r.init {
		return 0
	}
	return uint64(r.extendedMax()-r.baseSeq) + 1
}

// lost is the cumulative number of packets lost (never negative).
func (r *rxStats) lost() uint64 {
	e := r.expected()
	if r.received >= e {
		return 0
	}
	return e - r.received
}

// fraction returns the loss fraction since the previous call (8-bit fixed
// point as in an RTCP report block) and advances the interval.
func (r *rxStats) fraction() uint8 {
	e := r.expected()
	expInt := e - r.expPrior
	recvInt := r.received - r.recvPrior
	r.expPrior, r.recvPrior = e, r.received
	if expInt == 0 || recvInt >= expInt {
		return 0
	}
	return uint8(((expInt - recvInt) << 8) / expInt)
}
