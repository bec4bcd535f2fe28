package device

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/gen2brain/malgo"

	"switchboard/audio"
	"switchboard/audio/ring"
)

// Config selects the devices and format of a Stream.
type Config struct {
	CaptureID  string       // device ID from List; "" = system default
	PlaybackID string       // device ID from List; "" = system default
	Format     audio.Format // what Source and Sink use; miniaudio converts
	Null       bool         // use miniaudio's null backend (no sound card)
	PeriodMs   int          // device period; 0 = 10 ms
	Logger     *slog.Logger // receives miniaudio's log at debug level; nil = none
	// OnLost is called (on a goroutine of the Stream's) when the backend
	// stopped a device by itself, e.g. it was unplugged, after the Stream
	// fell back to the system default for that direction. nil: not reported.
	OnLost func(Lost)
}

// Lost reports a device the backend stopped and what the Stream did.
type Lost struct {
	Capture bool   // the microphone (else the speaker)
	ID      string // the device that stopped ("" = it was the default)
	Err     error  // nil: now running on the system default
}

// Stats counts glitches and traffic since Open. Sample counts are in
// samples (all channels), not frames.
type Stats struct {
	Overruns  uint64 // samples dropped: CaptureOverruns + PlaybackOverruns
	Underruns uint64 // silence inserted: CaptureUnderruns + PlaybackUnderruns

	CaptureOverruns   uint64 // mic samples lost because Source was not read in time
	CaptureUnderruns  uint64 // Source reads padded with silence (mic had nothing yet)
	CaptureTrimmed    uint64 // stale mic samples skipped so a call hears us without delay
	PlaybackOverruns  uint64 // Sink samples dropped because the speaker ring was full
	PlaybackUnderruns uint64 // speaker callback starved and played silence

	CapturedFrames uint64 // frames delivered by the device callback
	PlayedFrames   uint64 // frames requested by the device callback
	PlayedSamples  uint64 // real (non-silence) samples taken from Sink
	Stopped        bool   // the backend stopped a device (e.g. unplugged) and it is not replaced yet
	Switches       uint64 // device switches and fallbacks since Open
}

// direction indexes the Stream's two devices.
type direction int

const (
	capDir  direction = 0
	playDir direction = 1
)

func (d direction) String() string {
	if d == capDir {
		return "capture"
	}
	return "playback"
}

// Stream is an open pair of devices, a microphone and a speaker. Create it
// with Open and Close it when done. The two are separate miniaudio devices
// (not one duplex device) so that either can be switched without
// restarting the other, and a capture source that starts late does not
// starve the speaker.
type Stream struct {
	format audio.Format
	cfg    Config
	mctx   *malgo.AllocatedContext

	mu     sync.Mutex // serialises switches, loss handling and Close
	devs   [2]*malgo.Device
	ids    [2]string // current devices ("" = system default)
	closed bool
	gens   [2]atomic.Uint64 // which device's stop callback counts, per direction
	lost   chan lostDevice
	quit   chan struct{}

	capRing  *ring.Buffer
	playRing *ring.Buffer

	capFrames  atomic.Uint64
	capTrimmed atomic.Uint64
	playFrames atomic.Uint64
	stopped    atomic.Bool
	switches   atomic.Uint64

	closeOnce sync.Once
	closeErr  error
}

// lostDevice is a stop the backend reported for generation gen of d.
type lostDevice struct {
	d   direction
	gen uint64
}

// ringMs is how much audio each ring holds; enough to ride out a scheduling
// hiccup, small enough to bound latency.
const ringMs = 200

// Open opens the chosen (or default) microphone and speaker at cfg.Format
// and starts them. Errors wrap ErrNoDevice and carry the backend's reason;
// Open never panics for lack of hardware.
func Open(ctx context.Context, cfg Config) (*Stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f := cfg.Format
	if f.Rate <= 0 || f.Channels < 1 || f.Channels > 2 {
		return nil, fmt.Errorf("device: unsupported format %+v (want rate > 0, 1 or 2 channels)", f)
	}
	mctx, err := initContext(cfg.Null, cfg.Logger)
	if err != nil {
		return nil, err
	}
	s := &Stream{
		format:   f,
		cfg:      cfg,
		mctx:     mctx,
		capRing:  ring.New(f.SamplesPer(ringMs)),
		playRing: ring.New(f.SamplesPer(ringMs)),
		lost:     make(chan lostDevice, 2),
		quit:     make(chan struct{}),
	}
	s.ids = [2]string{cfg.CaptureID, cfg.PlaybackID}
	for d := range s.devs {
		s.gens[d].Store(1)
		dev, err := s.openDevice(direction(d), s.ids[d], 1)
		if err == nil {
			if err = dev.Start(); err != nil {
				dev.Uninit()
				err = fmt.Errorf("%w: starting %s device: %v", ErrNoDevice, direction(d), err)
			}
		}
		if err != nil {
			for _, o := range s.devs {
				if o != nil {
					o.Uninit()
				}
			}
			freeContext(mctx)
			return nil, err
		}
		s.devs[d] = dev
	}
	go s.watch()
	if cfg.Logger != nil {
		cfg.Logger.Debug("audio device open", "rate", f.Rate, "channels", f.Channels,
			"null", cfg.Null, "capture", cfg.CaptureID, "playback", cfg.PlaybackID)
	}
	return s, nil
}

// openDevice initialises (but does not start) the device for d on id
// ("" = default) whose stop callback reports generation gen.
func (s *Stream) openDevice(d direction, id string, gen uint64) (*malgo.Device, error) {
	f := s.format
	kind := malgo.Capture
	if d == playDir {
		kind = malgo.Playback
	}
	dc := malgo.DefaultDeviceConfig(kind)
	dc.SampleRate = uint32(f.Rate)
	dc.PeriodSizeInMilliseconds = uint32(orDefault(s.cfg.PeriodMs, 10))
	var pin runtime.Pinner
	defer pin.Unpin() // miniaudio copies the ID during init
	var devID *malgo.DeviceID
	if id != "" {
		var err error
		if devID, err = findID(s.mctx, kind, id); err != nil {
			return nil, err
		}
		pin.Pin(devID) // the config struct handed to C points at it
	}
	if d == capDir {
		dc.Capture.Format = malgo.FormatS16
		dc.Capture.Channels = uint32(f.Channels)
		if devID != nil {
			dc.Capture.DeviceID = devID.Pointer()
		}
	} else {
		dc.Playback.Format = malgo.FormatS16
		dc.Playback.Channels = uint32(f.Channels)
		if devID != nil {
			dc.Playback.DeviceID = devID.Pointer()
		}
	}
	dev, err := malgo.InitDevice(s.mctx.Context, dc, malgo.DeviceCallbacks{
		Data: s.onData,
		Stop: func() { s.onStop(d, gen) },
	})
	if err != nil {
		return nil, fmt.Errorf("%w: opening %s device at %d Hz x%d: %v", ErrNoDevice, d, f.Rate, f.Channels, err)
	}
	return dev, nil
}

// onStop runs on miniaudio's thread when a device stops. Stops of devices
// we replaced or closed ourselves carry a stale generation and are ignored.
func (s *Stream) onStop(d direction, gen uint64) {
	if s.gens[d].Load() != gen {
		return
	}
	s.stopped.Store(true)
	select {
	case s.lost <- lostDevice{d, gen}:
	default:
	}
}

// watch handles devices the backend stopped: it falls back to the system
// default and reports through Config.OnLost.
func (s *Stream) watch() {
	for {
		select {
		case <-s.quit:
			return
		case l := <-s.lost:
			s.mu.Lock()
			if s.closed || s.gens[l.d].Load() != l.gen {
				s.mu.Unlock()
				continue
			}
			rep := Lost{Capture: l.d == capDir, ID: s.ids[l.d]}
			rep.Err = s.switchLocked(l.d, "")
			s.mu.Unlock()
			if s.cfg.Logger != nil {
				s.cfg.Logger.Warn("audio device stopped; using the system default", "device", l.d,
					"id", rep.ID, "err", rep.Err)
			}
			if s.cfg.OnLost != nil {
				s.cfg.OnLost(rep)
			}
		}
	}
}

// SwitchPlayback moves the speaker to device id ("" = system default)
// while the stream runs; the microphone is not touched. Sink stays valid
// and the playback ring keeps the queued audio while miniaudio's device is
// replaced (a gap of one device start, typically a few milliseconds). If
// the new device cannot be opened the old one keeps playing and the error
// wraps ErrNoDevice.
func (s *Stream) SwitchPlayback(ctx context.Context, id string) error {
	return s.switchTo(ctx, playDir, id)
}

// SwitchCapture moves the microphone to device id ("" = system default)
// while the stream runs, like SwitchPlayback; the speaker is not touched.
func (s *Stream) SwitchCapture(ctx context.Context, id string) error {
	return s.switchTo(ctx, capDir, id)
}

func (s *Stream) switchTo(ctx context.Context, d direction, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.switchLocked(d, id)
}

// switchLocked replaces the device of direction d; s.mu is held.
func (s *Stream) switchLocked(d direction, id string) error {
	if s.closed {
		return fmt.Errorf("%w: stream closed", ErrNoDevice)
	}
	queued := s.playRing.Len() // the speaker latency to return to
	g := s.gens[d].Load() + 1
	dev, err := s.openDevice(d, id, g)
	if err != nil {
		return err
	}
	// From here the old device's stop callback is stale. Uninit waits for
	// its callback thread, so a ring never sees two producers or consumers.
	s.gens[d].Store(g)
	if old := s.devs[d]; old != nil {
		old.Uninit()
		s.devs[d] = nil
	}
	if d == playDir {
		// No playback callback runs now, so this goroutine may consume.
		// Audio queued while the device was replaced would otherwise stay
		// as extra latency, and a full ring overflows on every hiccup.
		if n := s.playRing.Len() - queued; n > 0 {
			s.playRing.Discard(n - n%s.format.Channels)
		}
	}
	if err := dev.Start(); err != nil {
		dev.Uninit()
		err = fmt.Errorf("%w: starting %s device: %v", ErrNoDevice, d, err)
		// Put the old device back rather than leave the direction dead.
		if old, oerr := s.openDevice(d, s.ids[d], g+1); oerr == nil {
			s.gens[d].Store(g + 1)
			if oerr = old.Start(); oerr == nil {
				s.devs[d] = old
				return err
			}
			old.Uninit()
		}
		return fmt.Errorf("%w (and the previous device failed to restart)", err)
	}
	s.devs[d], s.ids[d] = dev, id
	s.stopped.Store(s.devs[capDir] == nil || s.devs[playDir] == nil)
	s.switches.Add(1)
	if s.cfg.Logger != nil {
		s.cfg.Logger.Debug("audio device switched", "device", d, "id", id)
	}
	return nil
}

// Devices returns the IDs the stream runs on ("" = system default).
func (s *Stream) Devices() (captureID, playbackID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids[capDir], s.ids[playDir]
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// onData is miniaudio's real-time callback for both devices (the capture
// device passes no output, the playback device no input). It must not
// allocate, lock, log or block: it only copies between the device buffers
// and the rings.
func (s *Stream) onData(out, in []byte, frames uint32) {
	if len(in) >= 2 {
		s.capRing.Write(samples(in))
		s.capFrames.Add(uint64(frames))
	}
	if len(out) >= 2 {
		s.playRing.ReadFull(samples(out))
		s.playFrames.Add(uint64(frames))
	}
}

// samples views a device buffer of native-endian S16 as []int16 without
// copying (miniaudio's buffers are suitably aligned).
func samples(b []byte) []int16 {
	return unsafe.Slice((*int16)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/2)
}

// Format returns the stream's format (that of Source and Sink).
func (s *Stream) Format() audio.Format { return s.format }

// Source returns the microphone. Read never blocks: it returns the samples
// captured so far and fills the rest of p with silence.
func (s *Stream) Source() audio.Source { return micSource{s} }

// Sink returns the speaker. Write never blocks: samples that do not fit in
// the playback ring are dropped and counted in Stats.
func (s *Stream) Sink() audio.Sink { return speakerSink{s} }

// Stats returns the stream's counters.
func (s *Stream) Stats() Stats {
	st := Stats{
		CaptureTrimmed:    s.capTrimmed.Load(),
		CaptureOverruns:   s.capRing.Overruns(),
		CaptureUnderruns:  s.capRing.Underruns(),
		PlaybackOverruns:  s.playRing.Overruns(),
		PlaybackUnderruns: s.playRing.Underruns(),
		CapturedFrames:    s.capFrames.Load(),
		PlayedFrames:      s.playFrames.Load(),
		PlayedSamples:     s.playRing.Consumed(),
		Stopped:           s.stopped.Load(),
		Switches:          s.switches.Load(),
	}
	st.Overruns = st.CaptureOverruns + st.PlaybackOverruns
	st.Underruns = st.CaptureUnderruns + st.PlaybackUnderruns
	return st
}

// Close stops the devices and frees them and the miniaudio context. It is
// safe to call more than once; later calls return the first call's result.
func (s *Stream) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.closed = true
		close(s.quit)
		for d := range s.devs {
			s.gens[d].Add(1) // our own stop is not a lost device
			if s.devs[d] != nil {
				s.devs[d].Uninit()
				s.devs[d] = nil
			}
		}
		s.closeErr = freeContext(s.mctx)
	})
	return s.closeErr
}

type micSource struct{ s *Stream }

// Format returns the stream format.
func (m micSource) Format() audio.Format { return m.s.format }

// Read copies captured samples into p and pads with silence; it never blocks.
func (m micSource) Read(p []int16) (int, error) {
	p = p[:len(p)-len(p)%m.s.format.Channels]
	// The ring fills while nobody listens (between calls) and would then
	// hold 200 ms of old audio for good: keep only what this read needs
	// plus captureSlackMs, dropping the oldest.
	f := m.s.format
	if extra := m.s.capRing.Len() - len(p) - f.SamplesPer(captureSlackMs); extra > 0 {
		extra -= extra % f.Channels
		m.s.capTrimmed.Add(uint64(m.s.capRing.Discard(extra)))
	}
	m.s.capRing.ReadFull(p)
	return len(p), nil
}

// captureSlackMs is how much captured audio may wait beyond one read: a
// device period or two of jitter, no more (every millisecond here is
// mouth-to-ear delay).
const captureSlackMs = 20

type speakerSink struct{ s *Stream }

// Format returns the stream format.
func (k speakerSink) Format() audio.Format { return k.s.format }

// Write queues p for the speaker, dropping what does not fit; it never blocks.
func (k speakerSink) Write(p []int16) (int, error) {
	p = p[:len(p)-len(p)%k.s.format.Channels]
	k.s.playRing.Write(p)
	return len(p), nil
}
