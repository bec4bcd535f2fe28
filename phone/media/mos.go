package media

import (
	"strings"
	"time"
)

// eModelCodec holds the ITU-T G.113 equipment impairment Ie and packet-loss
// robustness Bpl of a codec with its concealment.
type eModelCodec struct{ ie, bpl float64 }

// eModelCodecs: G.711 with Appendix I PLC (G.113 Table I.3: Ie 0, Bpl
// 25.1); G.722 with PLC is treated like G.711 on the narrowband scale; Opus
// has no G.113 entry, so it is taken as Ie 0 and, with in-band FEC and PLC,
// somewhat more loss-robust than G.711 (Bpl 30, an assumption).
var eModelCodecs = map[string]eModelCodec{
	"pcmu": {0, 25.1},
	"pcma": {0, 25.1},
	"g722": {0, 25.1},
	"opus": {0, 30},
}

// RFactor is the ITU-T G.107 E-model transmission rating, simplified to
// R = 93.2 − Id − Ie,eff with the default values for everything except
// one-way mouth-to-ear delay and random packet loss: Id from the Cole and
// Rosenbluth approximation (0.024·d + 0.11·(d − 177.3) above 177.3 ms) and
// Ie,eff = Ie + (95 − Ie)·Ppl / (Ppl + Bpl) with Ppl in percent (random loss,
// BurstR 1). loss is a ratio (0..1). Unknown codecs use G.711's figures.
func RFactor(codecName string, delay time.Duration, loss float64) float64 {
	c, ok := eModelCodecs[strings.ToLower(codecName)]
	if !ok {
		c = eModelCodecs["pcmu"]
	}
	d := float64(delay) / float64(time.Millisecond)
	id := 0.024 * d
	if d > 177.3 {
		id += 0.11 * (d - 177.3)
	}
	ppl := 100 * min(max(loss, 0), 1)
	ie := c.ie + (95-c.ie)*ppl/(ppl+c.bpl)
	return 93.2 - id - ie
}

// MOSFromR maps an E-model rating to an estimated mean opinion score
// (G.107 Annex B): 1 below R 0, 4.5 above R 100.
func MOSFromR(r float64) float64 {
	switch {
	case r <= 0:
		return 1
	case r >= 100:
		return 4.5
	}
	return 1 + 0.035*r + r*(r-60)*(100-r)*7e-6
}

// EstimateMOS is MOSFromR(RFactor(codecName, delay, loss)).
func EstimateMOS(codecName string, delay time.Duration, loss float64) float64 {
	return MOSFromR(RFactor(codecName, delay, loss))
}
