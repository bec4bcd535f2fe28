// Package device connects Switchboard to sound cards through miniaudio
// (github.com/gen2brain/malgo). It is the only package that uses cgo.
//
// A Stream runs a capture and a playback device (separate, so either can
// be switched mid-call). miniaudio calls a data callback on its own
// real-time threads; that callback only copies samples between the device
// buffers and two lock-free rings (audio/ring), so it never allocates,
// locks, logs or blocks. The rings outlive the devices, which is what lets
// SwitchCapture and SwitchPlayback replace one without the Source or Sink
// noticing:
//
//	mic ─► callback ─► capture ring ─► Stream.Source().Read
//	Stream.Sink().Write ─► playback ring ─► callback ─► speaker
//
// The Source must be read by one goroutine and the Sink written by one
// goroutine (the rings are single-producer, single-consumer).
package device

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/gen2brain/malgo"
)

// backendNull is miniaudio 0.11's ma_backend_null. malgo.BackendNull is 13,
// which in miniaudio 0.11 is ma_backend_custom, so it cannot be used.
const backendNull = malgo.Backend(14)

// ErrNoDevice is wrapped by every error about a device that cannot be
// found or opened (test with errors.Is).
var ErrNoDevice = errors.New("no audio device")

// Info describes one capture or playback device.
type Info struct {
	ID        string // stable across runs: hex of miniaudio's device ID
	Name      string // human-readable name from the backend
	IsDefault bool   // the system default for its direction
	Capture   bool   // true for microphones, false for speakers
}

// List returns the capture and playback devices of the system's audio
// backend, or of miniaudio's null backend when null is set.
func List(ctx context.Context, null bool) (capture, playback []Info, err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	mctx, err := initContext(null, nil)
	if err != nil {
		return nil, nil, err
	}
	defer freeContext(mctx)
	for _, kind := range []malgo.DeviceType{malgo.Capture, malgo.Playback} {
		devs, err := mctx.Devices(kind)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: listing devices: %v", ErrNoDevice, err)
		}
		for i := range devs {
			info := Info{
				ID:        idString(devs[i].ID),
				Name:      devs[i].Name(),
				IsDefault: devs[i].IsDefault != 0,
				Capture:   kind == malgo.Capture,
			}
			if info.Capture {
				capture = append(capture, info)
			} else {
				playback = append(playback, info)
			}
		}
	}
	return capture, playback, nil
}

// idString renders a device ID as hex with trailing zero bytes trimmed (the
// ID is a union sized for the largest backend's identifier), keeping at
// least 4 bytes so integer IDs such as the null backend's 0 stay non-empty.
func idString(id malgo.DeviceID) string {
	b := id[:]
	for len(b) > 4 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return hex.EncodeToString(b)
}

// initContext creates a miniaudio context for the default backends or the
// null backend, forwarding miniaudio's log to logger at debug level.
func initContext(null bool, logger *slog.Logger) (*malgo.AllocatedContext, error) {
	var backends []malgo.Backend
	if null {
		backends = []malgo.Backend{backendNull}
	}
	var logProc malgo.LogProc
	if logger != nil {
		logProc = func(msg string) {
			logger.Debug("miniaudio", "msg", strings.TrimSpace(msg))
		}
	}
	mctx, err := malgo.InitContext(backends, malgo.ContextConfig{}, logProc)
	if err != nil {
		return nil, fmt.Errorf("%w: audio backend: %v", ErrNoDevice, err)
	}
	return mctx, nil
}

func freeContext(mctx *malgo.AllocatedContext) error {
	err := mctx.Uninit()
	mctx.Free()
	return err
}

// findID looks up the miniaudio device ID whose hex form is id.
func findID(mctx *malgo.AllocatedContext, kind malgo.DeviceType, id string) (*malgo.DeviceID, error) {
	devs, err := mctx.Devices(kind)
	if err != nil {
		return nil, fmt.Errorf("%w: listing devices: %v", ErrNoDevice, err)
	}
	for i := range devs {
		if idString(devs[i].ID) == id {
			d := devs[i].ID
			return &d, nil
		}
	}
	dir := "playback"
	if kind == malgo.Capture {
		dir = "capture"
	}
	return nil, fmt.Errorf("%w: %s device %q not found", ErrNoDevice, dir, id)
}
