package tone

import (
	"fmt"
	"time"

	"switchboard/audio"
)

// DTMF row (low group) and column (high group) frequencies in Hz.
var (
	dtmfRows = [4]float64{697, 770, 852, 941}
	dtmfCols = [4]float64{1209, 1336, 1477, 1633}
	dtmfKeys = [4]string{"123A", "456B", "789C", "*0#D"}
)

// DTMFFreqs returns the low and high frequencies of a DTMF key (0-9, *, #,
// A-D; a-d also accepted). ok is false for any other rune.
func DTMFFreqs(digit rune) (low, high float64, ok bool) {
	if digit >= 'a' && digit <= 'd' {
		digit -= 'a' - 'A'
	}
	for r, keys := range dtmfKeys {
		for c, k := range keys {
			if k == digit {
				return dtmfRows[r], dtmfCols[c], true
			}
		}
	}
	return 0, 0, false
}

// NewDTMF returns the dual tone of one key for on, then off of silence,
// then io.EOF (local feedback when the user presses a key; 100 ms on and
// 50 ms off are usual).
func NewDTMF(f audio.Format, digit rune, on, off time.Duration) (*Cadence, error) {
	low, high, ok := DTMFFreqs(digit)
	if !ok {
		return nil, fmt.Errorf("tone: %q is not a DTMF key", digit)
	}
	return NewCadence(f, 0.3, false,
		Segment{Hz: []float64{low, high}, Dur: on},
		Segment{Dur: off}), nil
}
