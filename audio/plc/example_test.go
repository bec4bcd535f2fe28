//go:build cgo && !nospandsp && !nog722

package plc_test

import (
	"fmt"

	"switchboard/audio/plc"
)

// A jitter buffer calls Good for every decoded frame and Fill when a packet
// is missing at playout time (phone/media's concealer has the same shape).
func Example() {
	c, err := plc.New(8000) // G.711; 16000 for G.722
	if err != nil {
		panic(err)
	}
	defer c.Close()
	frame := make([]int16, 160)
	for seq := 0; seq < 5; seq++ {
		if seq == 3 { // packet 3 never arrived
			c.Fill(frame)
		} else {
			// decode the packet into frame, then:
			c.Good(frame) // may blend the start of frame after a loss
		}
		// play frame
	}
	fmt.Println(c.Lost())
	// Output: 0
}
