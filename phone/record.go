package phone

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"switchboard/audio"
)

// Tap receives copies of a call's audio in the codec's format, frame by
// frame: Local what we send (the microphone after mute), Remote what we
// play. Both are called on media loops: they must not block, allocate or
// keep p. audio/record.Recorder implements it.
type Tap interface {
	Local(p []int16, f audio.Format)
	Remote(p []int16, f audio.Format)
}

// Recorder is one call recording in progress (audio/record.Recorder).
type Recorder interface {
	Tap
	// Close stops recording and finishes the file; it may wait for the disk.
	Close() error
	// Dropped counts samples lost because the disk was too slow.
	Dropped() uint64
}

// ErrNoRecorder is returned by Record when the Phone has no
// Config.OpenRecorder or no Config.RecordDir.
var ErrNoRecorder = errors.New("recording is not available")

// RecordingName returns the file name of a recording of c started at t:
// date, time, direction and the sanitised peer, e.g.
// "2026-11-23_1302_out_bob-example.com.wav".
func RecordingName(c CallInfo, t time.Time) string {
	dir := "in"
	if c.Direction == Outbound {
		dir = "out"
	}
	return fmt.Sprintf("%s_%s_%s.wav", t.Format("2006-01-02_1504"), dir, sanitizePeer(c.Peer))
}

// sanitizePeer turns a URI into a safe file-name part: no scheme, no
// parameters or port-less punctuation, "@" as "-", at most 64 bytes.
func sanitizePeer(peer string) string {
	p := strings.TrimSpace(peer)
	if i := strings.IndexByte(p, '<'); i >= 0 {
		p = p[i+1:]
		if j := strings.IndexByte(p, '>'); j >= 0 {
			p = p[:j]
		}
	}
	for _, scheme := range []string{"sips:", "sip:", "tel:"} {
		if len(p) >= len(scheme) && strings.EqualFold(p[:len(scheme)], scheme) {
			p = p[len(scheme):]
			break
		}
	}
	if i := strings.IndexAny(p, ";?"); i >= 0 {
		p = p[:i]
	}
	var b strings.Builder
	for _, r := range p {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '+', r == '-', r == '_':
			b.WriteRune(r)
		case r == '@':
			b.WriteByte('-')
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 64 {
			break
		}
	}
	s := strings.Trim(b.String(), "._")
	if s == "" {
		s = "unknown"
	}
	return s
}

// Record starts (on) or stops recording call id to a stereo WAV in
// Config.RecordDir: our side left, the far end right. Starting publishes
// EvRecording with Path and CallInfo.Recording set; stopping (or the call
// ending) clears the flag at once and publishes EvRecording with
// Recording false once the file is complete. Recording an already
// recorded call, or stopping one that is not, does nothing.
func (p *Phone) Record(id CallID, on bool) error {
	return p.call(func() error {
		c, err := p.resolve(id, StateActive, StateHeld)
		if err != nil {
			return err
		}
		if on {
			return p.startRecording(c)
		}
		p.stopRecording(c)
		return nil
	})
}

func (p *Phone) startRecording(c *call) error {
	if c.info.State != StateActive && c.info.State != StateHeld {
		return ErrBadState
	}
	if c.rec != nil {
		return nil
	}
	if p.cfg.OpenRecorder == nil || p.cfg.RecordDir == "" {
		return ErrNoRecorder
	}
	name := RecordingName(c.info, time.Now())
	var rec Recorder
	var path string
	for i := 1; ; i++ {
		path = filepath.Join(p.cfg.RecordDir, name)
		if i > 1 {
			path = filepath.Join(p.cfg.RecordDir, fmt.Sprintf("%s_%d.wav", strings.TrimSuffix(name, ".wav"), i))
		}
		var err error
		rec, err = p.cfg.OpenRecorder(path)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) || i >= 100 {
			return fmt.Errorf("recording: %w", err)
		}
	}
	c.rec, c.recPath = rec, path
	c.info.Recording = true
	p.reattach(c)
	p.publish(Event{Kind: EvRecording, Call: &c.info, Path: path})
	return nil
}

// stopRecording detaches the recorder and finishes the file off the loop;
// EvRecording (Recording false) follows when the file is complete.
func (p *Phone) stopRecording(c *call) {
	if c.rec == nil {
		return
	}
	rec, path := c.rec, c.recPath
	c.rec, c.recPath = nil, ""
	c.info.Recording = false
	if c.info.State != StateEnded {
		p.reattach(c)
	}
	info := c.info
	go func() {
		err := rec.Close()
		ev := Event{Kind: EvRecording, Call: &info, Path: path}
		if err != nil {
			ev.Message = "recording failed: " + err.Error()
		} else if n := rec.Dropped(); n > 0 {
			ev.Message = fmt.Sprintf("%d samples dropped (disk too slow)", n)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		select {
		case p.inbox <- func() { p.publish(ev) }:
		case <-ctx.Done():
			p.log.Warn("recording finished but the phone loop is gone", "path", path)
		}
	}()
}

// reattach gives a call's session its audio again with the current
// recorder: the device pair when it is the active call, silence when held.
func (p *Phone) reattach(c *call) {
	if p.active == c.info.ID {
		p.applyAudio(c)
		return
	}
	c.sess.SetAudio(heldAudio(c))
}

// heldAudio is what a call that is not active gets: silence in, nothing
// out, still recorded.
func heldAudio(c *call) AudioPair {
	return AudioPair{Source: audio.Silence{F: audio.Mono8k}, Sink: audio.Discard{F: audio.Mono8k}, Tap: c.tap()}
}

// tap returns the call's recorder as a Tap, or nil.
func (c *call) tap() Tap {
	if c.rec == nil {
		return nil
	}
	return c.rec
}
