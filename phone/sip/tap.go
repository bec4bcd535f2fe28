package sip

import (
	"switchboard/audio"
	"switchboard/phone"
)

// tapSource hands every frame read from the (already muted and resampled)
// source to a call recorder as our side of the call.
type tapSource struct {
	audio.Source
	tap phone.Tap
}

// Read reads from the source and copies what it got to the tap.
func (t tapSource) Read(p []int16) (int, error) {
	n, err := t.Source.Read(p)
	if n > 0 {
		t.tap.Local(p[:n], t.Source.Format())
	}
	return n, err
}

// tapSink hands every frame played (before resampling to the device) to a
// call recorder as the far end's side.
type tapSink struct {
	audio.Sink
	tap phone.Tap
}

// Write copies p to the tap, then to the sink.
func (t tapSink) Write(p []int16) (int, error) {
	t.tap.Remote(p, t.Sink.Format())
	return t.Sink.Write(p)
}
