package phone

import (
	"context"
	"errors"
	"sync/atomic"

	"switchboard/audio"
	"switchboard/audio/mix"
)

// Local conference: the answered calls are mixed in audio/mix so that the
// user and every party hear everyone else. The bridge owns the microphone
// and speaker while it runs; each call reads and writes its own leg.

// conferenceFormat is the bridge's internal format: wideband mono, enough
// for every codec we speak (sessions resample to theirs).
var conferenceFormat = audio.Format{Rate: 16000, Channels: 1}

type conference struct {
	bridge  *mix.Bridge
	cancel  context.CancelFunc
	mic     *gatedSource
	speaker *gatedSink
	legs    []CallID
}

type confLeg struct {
	src  audio.Source
	sink audio.Sink
}

// gatedSource is the microphone as the bridge sees it: off (silence, the
// device untouched) until the calls have let go of it, and with a mute
// switch (mute in a conference silences us for everyone).
type gatedSource struct {
	audio.Source
	on, muted atomic.Bool
}

func (g *gatedSource) Read(p []int16) (int, error) {
	if !g.on.Load() {
		clear(p)
		return len(p), nil
	}
	n, err := g.Source.Read(p)
	if g.muted.Load() {
		clear(p[:max(0, n)])
	}
	return n, err
}

// gatedSink is the speaker as the bridge sees it: off (discarding) until
// the calls have let go of it.
type gatedSink struct {
	audio.Sink
	on atomic.Bool
}

func (g *gatedSink) Write(p []int16) (int, error) {
	if !g.on.Load() {
		return len(p), nil
	}
	return g.Sink.Write(p)
}

// Merge joins every answered call (active and held) into one local
// conference; calls already in it stay. It needs two calls at least.
func (p *Phone) Merge() error {
	return p.call(func() error {
		var ids []CallID
		for _, id := range p.order {
			if c := p.calls[id]; c.info.State == StateActive || c.info.State == StateHeld {
				ids = append(ids, id)
			}
		}
		if len(ids) < 2 {
			return errors.New("a conference needs at least two answered calls")
		}
		if p.conf == nil {
			if err := p.startConference(); err != nil {
				return err
			}
		}
		for _, id := range ids {
			if err := p.joinConference(p.calls[id]); err != nil {
				return err
			}
		}
		// Every call now reads and writes its leg (SetAudio returned), so
		// the bridge may take the device.
		p.conf.mic.on.Store(true)
		p.conf.speaker.on.Store(true)
		p.publishConference()
		return nil
	})
}

func (p *Phone) startConference() error {
	a := p.deviceAudio()
	mic, spk := &gatedSource{Source: a.Source}, &gatedSink{Sink: a.Sink}
	ctx, cancel := context.WithCancel(p.ctx)
	b, err := mix.New(ctx, conferenceFormat, mic, spk)
	if err != nil {
		cancel()
		return err
	}
	p.stopTone()
	p.conf = &conference{bridge: b, cancel: cancel, mic: mic, speaker: spk}
	return nil
}

func (p *Phone) joinConference(c *call) error {
	if c.conf != nil {
		return nil
	}
	src, sink, err := p.conf.bridge.Join(string(c.info.ID))
	if err != nil {
		return err
	}
	c.conf = &confLeg{src: src, sink: sink}
	p.conf.legs = append(p.conf.legs, c.info.ID)
	if c.info.Muted {
		p.conf.mic.muted.Store(true)
	}
	if c.info.State == StateHeld {
		p.holdCall(c, false) // resumes with the leg's audio (applyAudio)
	} else {
		p.applyAudio(c)
	}
	if p.active == "" {
		p.active = c.info.ID
	}
	return nil
}

// Split ends the local conference: the calls are separate again, the
// active one keeps the device and the others are held. With an id, only
// that call leaves (and is held); the rest stay together.
func (p *Phone) Split(id CallID) error {
	return p.call(func() error {
		if p.conf == nil {
			return errors.New("there is no conference")
		}
		if id != "" {
			c, ok := p.calls[id]
			if !ok || c.conf == nil {
				return ErrNoSuchCall
			}
			p.leaveConference(c)
			if c.info.State == StateActive {
				p.holdCall(c, true)
			}
			p.publishConference()
			return nil
		}
		p.dissolveConference()
		p.publishConference()
		return nil
	})
}

// leaveConference takes c out of the bridge; a conference left with one
// call dissolves (that call keeps talking on the device).
func (p *Phone) leaveConference(c *call) {
	if c.conf == nil || p.conf == nil {
		return
	}
	p.conf.bridge.Leave(string(c.info.ID))
	c.conf = nil
	for i, id := range p.conf.legs {
		if id == c.info.ID {
			p.conf.legs = append(p.conf.legs[:i], p.conf.legs[i+1:]...)
			break
		}
	}
	if p.active == c.info.ID {
		p.active = ""
		if len(p.conf.legs) > 0 {
			p.active = p.conf.legs[0]
		}
	}
	if len(p.conf.legs) < 2 {
		p.dissolveConference()
	}
}

// dissolveConference stops the bridge; the first remaining call keeps the
// device, the others are held.
func (p *Phone) dissolveConference() {
	conf := p.conf
	if conf == nil {
		return
	}
	p.conf = nil
	// Stop the bridge before a call gets the device back.
	conf.cancel()
	_ = conf.bridge.Close()
	legs := conf.legs
	for i, id := range legs {
		c, ok := p.calls[id]
		if !ok {
			continue
		}
		c.conf = nil
		if i == 0 {
			p.active = id
			p.applyAudio(c)
		} else if c.info.State == StateActive {
			p.holdCall(c, true)
		}
	}
}

func (p *Phone) publishConference() {
	var legs []CallID
	if p.conf != nil {
		legs = append(legs, p.conf.legs...)
	}
	p.publish(Event{Kind: EvConference, Conference: legs})
}

// confAudio is c's audio while it is in the conference.
func (c *call) confAudio() AudioPair {
	return AudioPair{Source: c.conf.src, Sink: c.conf.sink, Tap: c.tap()}
}
