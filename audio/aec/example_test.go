//go:build cgo && !nospeexdsp

package aec_test

import (
	"fmt"

	"switchboard/audio"
	"switchboard/audio/aec"
	"switchboard/audio/tone"
)

// Wrap a call's microphone and speaker (in main.go these are the device
// stream's Source and Sink); the call then reads the wrapped mic and writes
// the wrapped speaker instead, and a settings toggle calls SetEnabled.
func ExampleWrap() {
	mic := tone.NewSine(audio.Mono48k, 1000, 0.2) // stands in for the device mic
	speaker := audio.Discard{F: audio.Mono48k}    // stands in for the device speaker

	c, err := aec.New(48000, aec.Options{Echo: true, Noise: true})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	src, sink := aec.Wrap(mic, speaker, c)

	frame := make([]int16, src.Format().SamplesPer(20))
	sink.Write(frame) // playout loop: far-end audio to the speaker
	src.Read(frame)   // send loop: echo-free mic audio to the encoder

	c.SetEnabled(false, true) // user switched echo cancellation off
	fmt.Println(src.Format(), sink.Format(), c.FrameSize())
	// Output: {48000 1} {48000 1} 480
}
