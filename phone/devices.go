package phone

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// DeviceSwitcher is an Audio whose devices can change in place while calls
// keep their Source and Sink (audio/device.Stream). IDs come from the
// device list; "" is the system default.
type DeviceSwitcher interface {
	SwitchCapture(ctx context.Context, id string) error
	SwitchPlayback(ctx context.Context, id string) error
}

// ErrNoDeviceSwitch is returned by SwitchAudioDevice when Config.Audio
// cannot change devices in place (WAV files, no device); use SetAudio.
var ErrNoDeviceSwitch = errors.New("this audio cannot switch devices; replace it with SetAudio")

// SwitchAudioDevice moves the microphone (capture) or the speaker to the
// device id ("" = system default) without touching the calls: their audio
// continues on the new device. It returns at once; EvAudioDevice follows
// when the device runs, or EvError if it could not be opened (the old
// device then stays in use).
func (p *Phone) SwitchAudioDevice(capture bool, id string) error {
	return p.call(func() error {
		sw, ok := p.cfg.Audio.(DeviceSwitcher)
		if !ok {
			return ErrNoDeviceSwitch
		}
		dir, f := "playback", sw.SwitchPlayback
		if capture {
			dir, f = "capture", sw.SwitchCapture
		}
		name := id
		if name == "" {
			name = "system default"
		}
		go func() {
			ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
			defer cancel()
			err := f(ctx, id)
			p.post(func() {
				if err != nil {
					p.publish(Event{Kind: EvError, Message: fmt.Sprintf("%s device %s: %v", dir, name, err)})
					return
				}
				p.publish(Event{Kind: EvAudioDevice, Message: dir + " device: " + name})
			})
		}()
		return nil
	})
}

// ReportAudioDevice publishes EvAudioDevice with msg, for changes the
// device made by itself (a device was unplugged and the default took
// over). Safe from any goroutine; it may wait briefly for the loop.
func (p *Phone) ReportAudioDevice(msg string) {
	p.post(func() { p.publish(Event{Kind: EvAudioDevice, Message: msg}) })
}
