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

// gainedAudio is the sound device with the user's microphone gain and
// speaker volume (audio.Gain, changeable while calls run). It sits next to
// the device, so echo cancellation sees the microphone as the calls will
// and takes its reference before the volume.
type gainedAudio struct {
	dev      phone.Audio
	mic, spk audio.Gain
	src      audio.Source
	sink     *audio.GainSink
}

func newGainedAudio(dev phone.Audio, micPct, spkPct int) *gainedAudio {
	g := &gainedAudio{dev: dev}
	g.SetGains(micPct, spkPct)
	g.src = audio.GainSource{Src: dev.Source(), G: &g.mic}
	g.sink = &audio.GainSink{Sink: dev.Sink(), G: &g.spk}
	return g
}

// percent turns a stored percentage into a factor (0 = unset = 100 %).
func percent(p int) float64 {
	if p <= 0 {
		return 1
	}
	return float64(p) / 100
}

// SetGains sets the microphone gain and speaker volume in percent (100 =
// unchanged; 0 = unset, also 100).
func (g *gainedAudio) SetGains(micPct, spkPct int) {
	g.mic.Set(percent(micPct))
	g.spk.Set(percent(spkPct))
}

// Source implements phone.Audio.
func (g *gainedAudio) Source() audio.Source { return g.src }

// Sink implements phone.Audio.
func (g *gainedAudio) Sink() audio.Sink { return g.sink }

// SwitchCapture passes a device switch on.
func (g *gainedAudio) SwitchCapture(ctx context.Context, id string) error {
	if sw, ok := g.dev.(phone.DeviceSwitcher); ok {
		return sw.SwitchCapture(ctx, id)
	}
	return phone.ErrNoDeviceSwitch
}

// SwitchPlayback passes a device switch on.
func (g *gainedAudio) SwitchPlayback(ctx context.Context, id string) error {
	if sw, ok := g.dev.(phone.DeviceSwitcher); ok {
		return sw.SwitchPlayback(ctx, id)
	}
	return phone.ErrNoDeviceSwitch
}
