package ui

import (
	"context"

	"switchboard/app"
)

// AudioDevice is one sound device as the Audio settings list it.
type AudioDevice struct {
	// ID is what app.Settings stores (InputDevice, OutputDevice,
	// RingerDevice); it is stable across runs.
	ID string
	// Name is the backend's human-readable name.
	Name string
	// Default marks the system default for its direction.
	Default bool
}

// AudioSystem is what the Audio settings need from the sound devices. The
// composition root implements it with audio/device. Both methods may block
// (a device scan, a tone playing), so the UI calls them off the Fyne
// goroutine.
type AudioSystem interface {
	// Devices lists the capture (inputs) and playback (outputs) devices.
	Devices(ctx context.Context) (inputs, outputs []AudioDevice, err error)
	// TestSpeaker plays a short tone on the playback device outputID
	// ("" = system default) and returns when it has played.
	TestSpeaker(ctx context.Context, outputID string) error
}

// AudioSwitcher is an AudioSystem that can also move the microphone
// (capture) or the speaker to another device at once, calls included (the
// core's SwitchAudioDevice). It must return quickly; the outcome arrives as
// a phone event (audio_device, or error). Without it, or when it fails,
// device choices apply at the next start.
type AudioSwitcher interface {
	SwitchDevice(capture bool, id string) error
}

// AudioProcessing is an AudioSystem whose acoustic echo cancellation and
// noise suppression can be switched at once, calls included. SetProcessing
// returns false when they are not available.
type AudioProcessing interface {
	SetProcessing(echo, noise bool) bool
}

// AudioGains is an AudioSystem whose microphone gain and speaker volume
// (percent, 100 = unchanged) can be set at once, calls included. SetGains
// returns false when that is not available.
type AudioGains interface {
	SetGains(micPct, spkPct int) bool
}

// SpeakerLevelSource is a LevelSource that also reports the speaker's
// level (0..1), for the second meter.
type SpeakerLevelSource interface {
	SpeakerLevel() float64
}

// LevelSource reports the microphone level for the meter, from 0 (silence
// or nothing captured lately) to 1 (full scale). The UI polls it a few
// times a second while the echo test runs; it must be cheap and safe for
// concurrent use.
type LevelSource interface {
	Level() float64
}

// LevelFunc adapts a function to LevelSource.
type LevelFunc func() float64

// Level implements LevelSource.
func (f LevelFunc) Level() float64 { return f() }

// TraceSource is the ring of recent SIP messages the trace viewer shows;
// *app.TraceBuffer implements it. Both methods are safe for concurrent use.
type TraceSource interface {
	// Entries returns the captured messages, oldest first, already redacted.
	Entries() []app.TraceEntry
	// Seq changes whenever a message is captured or the ring is cleared.
	Seq() uint64
}

// WithAudio gives the Audio settings their device list and speaker test.
func WithAudio(a AudioSystem) Option { return func(u *UI) { u.audio = a } }

// WithLevels feeds the Audio settings' level meter during the echo test.
func WithLevels(l LevelSource) Option { return func(u *UI) { u.levels = l } }

// WithTrace enables the SIP trace viewer over t.
func WithTrace(t TraceSource) Option { return func(u *UI) { u.trace = t } }

// WithNotifier lets the UI send a desktop notification for an incoming
// call. notify runs on the Fyne goroutine and must not block; pass it only
// where notifications cannot start daemons (on Linux: a session bus is
// already running).
func WithNotifier(notify func(title, body string)) Option {
	return func(u *UI) { u.notify = notify }
}
