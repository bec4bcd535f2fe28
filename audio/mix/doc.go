// Package mix is a local conference bridge: it merges the microphone, the
// speaker and any number of call legs so that everybody hears everybody else.
//
//	            ┌──────────────── Bridge (one goroutine, every 20 ms) ───────────────┐
//	mic ───────►│ m                                                                  │
//	leg A sink ►│ in ring ─► a     total = m + a + b + …                             │
//	leg B sink ►│ in ring ─► b                                                       │
//	            │   speaker  ◄─ limit(total − m)                                     ├──► speaker
//	            │   leg A src ◄─ out ring ◄─ limit(total − a)   (mic + every other leg)│
//	            │   leg B src ◄─ out ring ◄─ limit(total − b)                        │
//	            └────────────────────────────────────────────────────────────────────┘
//
// Each call leg gets an audio.Source/audio.Sink pair from Join, to hand to
// its session (phone.AudioPair). The session writes what it received from
// the far end into the Sink and reads what it sends from the Source, each on
// its own 20 ms loop. Neither side waits for the other: every leg has two
// lock-free single-producer single-consumer rings (audio/ring), one per
// direction, and the bridge's goroutine is the only thing that touches the
// bridge end of both.
//
// # Clock
//
// The bridge mixes one 20 ms frame per tick. Ticks are counted against the
// wall clock from the start, not from the previous tick, so a starved
// process catches up (at most MaxBurst frames at once; after a longer stall
// it skips ahead rather than play a burst of stale audio, counted in
// Stats.Skipped). With WithManualClock the bridge starts no goroutine and
// the caller drives it with Step: tests run deterministically and faster
// than real time.
//
// # Mixing
//
// The microphone is read once per frame and shared. All inputs are summed
// once in int32 (total); each output is total minus its own input, so every
// leg hears the microphone and all other legs but never itself, and the
// speaker hears all legs but not the microphone. The cost is O(legs) per
// sample, not O(legs²). The int32 result is hard-limited (saturated) to the
// int16 range: a sum beyond full scale clips flat, it never wraps around to
// the opposite sign. Below full scale the mix is bit-exact, so levels add as
// they should and a leg's own voice cancels exactly. The steady-state mix
// does not allocate (see the benchmarks).
//
// # Buffering and drift
//
// A leg's session runs its own clock, which can be a little faster or
// slower than the bridge's (or be paused while the call is on hold). The
// consumer of each ring keeps the delay bounded:
//
//   - The bridge takes a leg's frame only when a whole frame is waiting;
//     otherwise that leg contributes silence for the tick (an underrun, which
//     also builds a one-frame cushion against scheduling jitter). If more
//     than the maximum delay (WithMaxDelay, default 60 ms) is queued, the
//     oldest audio is dropped down to one spare frame (counted).
//   - A leg's Source returns queued mix only when the whole request is
//     waiting, else silence (counted as a send underrun), and trims the
//     queue the same way when it exceeds the maximum delay.
//
// A slower peer therefore gets an occasional frame of padding, a faster one
// an occasional drop, and neither can make the delay grow. The rings
// themselves hold a little more than the maximum delay; anything beyond
// that is dropped at write time and counted too.
//
// # Formats
//
// The bridge works in one internal Format (for example audio.Mono16k or
// audio.Mono48k; the rate must be a multiple of 50 Hz so a 20 ms frame is a
// whole number of samples). The microphone and speaker are converted with
// audio/resample when their formats differ. A leg's Source and Sink report
// the bridge format; the phone's sessions already adapt whatever format
// they are given to the negotiated codec, and callers may read and write
// any whole number of frames at a time.
//
// # Concurrency
//
// Join, Leave, Legs and Stats may be called from any goroutine while the
// bridge runs. A leg's Source must be read by one goroutine at a time and
// its Sink written by one goroutine at a time (as a session does). After
// Leave or Close, the leg's Source gives silence and its Sink discards, so
// a session that still holds the pair is harmless until it is given new
// audio.
package mix
