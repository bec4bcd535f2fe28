package main

import (
	"context"
	"log/slog"

	"switchboard/audio"
	"switchboard/audio/aec"
	"switchboard/phone"
)

// aecRate is the rate echo cancellation and noise suppression run at: the
// device's own 48 kHz, so fullband Opus reaches the speaker untouched
// (speexdsp costs about 0.4 ms per 20 ms frame there, measured by
// audio/aec's benchmarks).
const aecRate = 48000

// processedAudio is the sound device with acoustic echo cancellation and
// noise suppression (audio/aec, speexdsp) between it and the calls. Every
// call reads the cleaned microphone and writes the speaker through the
// canceller, which takes what it plays as the echo reference. It passes
// in-place device switches on and restarts the echo filter after one.
type processedAudio struct {
	dev  phone.Audio
	c    *aec.Canceller
	src  audio.Source
	sink audio.Sink
}

// newProcessedAudio wraps dev; echo and noise say what starts switched on.
// On failure (no speexdsp state) it returns dev unchanged.
func newProcessedAudio(ctx context.Context, dev phone.Audio, echo, noise bool, log *slog.Logger) phone.Audio {
	c, err := aec.New(aecRate, aec.Options{Echo: true, Noise: true})
	if err != nil {
		log.Warn("echo cancellation unavailable", "err", err)
		return dev
	}
	c.SetEnabled(echo, noise)
	go func() { <-ctx.Done(); _ = c.Close() }()
	src, sink := aec.Wrap(dev.Source(), dev.Sink(), c)
	return &processedAudio{dev: dev, c: c, src: src, sink: sink}
}

// Source implements phone.Audio: the cleaned microphone.
func (p *processedAudio) Source() audio.Source { return p.src }

// Sink implements phone.Audio: the speaker, feeding the echo reference.
func (p *processedAudio) Sink() audio.Sink { return p.sink }

// SetProcessing switches echo cancellation and noise suppression at once.
func (p *processedAudio) SetProcessing(echo, noise bool) { p.c.SetEnabled(echo, noise) }

// SwitchCapture moves the microphone and restarts the echo filter (the
// echo path changed).
func (p *processedAudio) SwitchCapture(ctx context.Context, id string) error {
	sw, ok := p.dev.(phone.DeviceSwitcher)
	if !ok {
		return phone.ErrNoDeviceSwitch
	}
	err := sw.SwitchCapture(ctx, id)
	p.c.Reset()
	return err
}

// SwitchPlayback moves the speaker and restarts the echo filter.
func (p *processedAudio) SwitchPlayback(ctx context.Context, id string) error {
	sw, ok := p.dev.(phone.DeviceSwitcher)
	if !ok {
		return phone.ErrNoDeviceSwitch
	}
	err := sw.SwitchPlayback(ctx, id)
	p.c.Reset()
	return err
}
