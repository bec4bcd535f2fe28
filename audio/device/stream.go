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
}

// Stats counts glitches and traffic since Open. Sample counts are in
// samples (all channels), not frames.
type Stats struct {
	Overruns  uint64 // samples dropped: CaptureOverruns + PlaybackOverruns
	Underruns uint64 // silence inserted: CaptureUnderruns + PlaybackUnderruns

	CaptureOverruns   uint64 // mic samples lost because Source was not read in time
	CaptureUnderruns  uint64 // Source reads padded with silence (mic had nothing yet)
	PlaybackOverruns  uint64 // Sink samples dropped because the speaker ring was full
	PlaybackUnderruns uint64 // speaker callback starved and played silence

	CapturedFrames uint64 // frames delivered by the device callback
	PlayedFrames   uint64 // frames requested by the device callback
	PlayedSamples  uint64 // real (non-silence) samples taken from Sink
	Stopped        bool   // the backend stopped the device (e.g. unplugged)
}

// Stream is an open duplex device. Create it with Open and Close it when
// done.
type Stream struct {
	format audio.Format
	mctx   *malgo.AllocatedContext
	dev    *malgo.Device
	pin    runtime.Pinner

	capRing  *ring.Buffer
	playRing *ring.Buffer

	capFrames  atomic.Uint64
	playFrames atomic.Uint64
	stopped    atomic.Bool

	closeOnce sync.Once
	closeErr  error
}

// ringMs is how much audio each ring holds; enough to ride out a scheduling
// hiccup, small enough to bound latency.
const ringMs = 200

// Open opens a duplex stream at cfg.Format on the chosen (or default)
// devices and starts it. Errors wrap ErrNoDevice and carry the backend's
// reason; Open never panics for lack of hardware.
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
		mctx:     mctx,
		capRing:  ring.New(f.SamplesPer(ringMs)),
		playRing: ring.New(f.SamplesPer(ringMs)),
	}
	dc := malgo.DefaultDeviceConfig(malgo.Duplex)
	dc.SampleRate = uint32(f.Rate)
	dc.PeriodSizeInMilliseconds = uint32(orDefault(cfg.PeriodMs, 10))
	dc.Capture.Format = malgo.FormatS16
	dc.Capture.Channels = uint32(f.Channels)
	dc.Playback.Format = malgo.FormatS16
	dc.Playback.Channels = uint32(f.Channels)
	if cfg.CaptureID != "" {
		id, err := findID(mctx, malgo.Capture, cfg.CaptureID)
		if err != nil {
			freeContext(mctx)
			return nil, err
		}
		s.pin.Pin(id) // the config struct handed to C points at it
		dc.Capture.DeviceID = id.Pointer()
	}
	if cfg.PlaybackID != "" {
		id, err := findID(mctx, malgo.Playback, cfg.PlaybackID)
		if err != nil {
			s.pin.Unpin()
			freeContext(mctx)
			return nil, err
		}
		s.pin.Pin(id)
		dc.Playback.DeviceID = id.Pointer()
	}
	dev, err := malgo.InitDevice(mctx.Context, dc, malgo.DeviceCallbacks{
		Data: s.onData,
		Stop: func() { s.stopped.Store(true) },
	})
	s.pin.Unpin() // miniaudio copied the IDs during init
	if err != nil {
		freeContext(mctx)
		return nil, fmt.Errorf("%w: opening duplex device at %d Hz x%d: %v", ErrNoDevice, f.Rate, f.Channels, err)
	}
	s.dev = dev
	if err := dev.Start(); err != nil {
		dev.Uninit()
		freeContext(mctx)
		return nil, fmt.Errorf("%w: starting device: %v", ErrNoDevice, err)
	}
	if cfg.Logger != nil {
		cfg.Logger.Debug("audio device open", "rate", f.Rate, "channels", f.Channels,
			"null", cfg.Null, "capture", cfg.CaptureID, "playback", cfg.PlaybackID)
	}
	return s, nil
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// onData is miniaudio's real-time callback. It must not allocate, lock,
// log or block: it only copies between the device buffers and the rings.
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
		CaptureOverruns:   s.capRing.Overruns(),
		CaptureUnderruns:  s.capRing.Underruns(),
		PlaybackOverruns:  s.playRing.Overruns(),
		PlaybackUnderruns: s.playRing.Underruns(),
		CapturedFrames:    s.capFrames.Load(),
		PlayedFrames:      s.playFrames.Load(),
		PlayedSamples:     s.playRing.Consumed(),
		Stopped:           s.stopped.Load(),
	}
	st.Overruns = st.CaptureOverruns + st.PlaybackOverruns
	st.Underruns = st.CaptureUnderruns + st.PlaybackUnderruns
	return st
}

// Close stops the device and frees it and its miniaudio context. It is
// safe to call more than once; later calls return the first call's result.
func (s *Stream) Close() error {
	s.closeOnce.Do(func() {
		s.dev.Uninit()
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
	m.s.capRing.ReadFull(p)
	return len(p), nil
}

type speakerSink struct{ s *Stream }

// Format returns the stream format.
func (k speakerSink) Format() audio.Format { return k.s.format }

// Write queues p for the speaker, dropping what does not fit; it never blocks.
func (k speakerSink) Write(p []int16) (int, error) {
	p = p[:len(p)-len(p)%k.s.format.Channels]
	k.s.playRing.Write(p)
	return len(p), nil
}
