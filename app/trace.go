package app

import (
	"context"
	"log/slog"
	"strings"
	"switchboard/phone"
	"sync"
	"time"
)

// Trace record messages the SIP backend logs (phone/sip's tracer).
const (
	TraceIn  = "SIP in"
	TraceOut = "SIP out"
)

// DefaultTraceSize is how many SIP messages NewTraceBuffer keeps when
// given a size of 0.
const DefaultTraceSize = 500

// TraceComponent is the "component" attribute of the SIP backend's trace
// logger. Handlers derived with it report debug records as enabled even
// when the next handler would drop them, so the ring fills without
// turning on debug logging for everything else.
const TraceComponent = "sip-trace"

// TraceEntry is one captured SIP message.
type TraceEntry struct {
	Time time.Time
	// Out is true for messages we sent ("SIP out").
	Out bool
	// Transport, From and To are the record's attributes of those names
	// (e.g. "udp", "192.0.2.1:5060").
	Transport, From, To string
	// Msg is the message text with Authorization and Proxy-Authorization
	// credentials redacted.
	Msg string
}

// Header returns the entry's one-line summary: time, direction, transport
// and addresses, e.g. "12:00:01.250 SIP out udp 10.0.0.1:5060 → 10.0.0.2:5060".
func (e TraceEntry) Header() string {
	dir := TraceIn
	if e.Out {
		dir = TraceOut
	}
	s := e.Time.Format("15:04:05.000") + " " + dir
	if e.Transport != "" {
		s += " " + e.Transport
	}
	if e.From != "" || e.To != "" {
		s += " " + e.From + " → " + e.To
	}
	return s
}

// String returns the header line followed by the message.
func (e TraceEntry) String() string {
	return e.Header() + "\n" + strings.TrimRight(strings.ReplaceAll(e.Msg, "\r\n", "\n"), "\n")
}

// traceRing is the bounded ring shared by a TraceBuffer and the handlers
// derived from it.
type traceRing struct {
	mu      sync.Mutex
	entries []TraceEntry
	next    int // index the next entry goes to once the ring is full
	full    bool
	seq     uint64
	notify  func()
}

// TraceBuffer is a slog.Handler that keeps the most recent SIP messages
// (records whose message is TraceIn or TraceOut) in a bounded ring, for the
// SIP trace viewer, and passes every record on to the next handler when
// that handler is enabled for it. Captured messages are redacted again
// (Authorization and Proxy-Authorization) in case a caller forgot.
// It is safe for concurrent use.
type TraceBuffer struct {
	next  slog.Handler
	ring  *traceRing
	trace bool // derived with component=TraceComponent
	// attrs are the pre-bound attributes (only transport/from/to matter).
	attrs []slog.Attr
	group bool // inside a WithGroup: attributes are not ours to read
}

var _ slog.Handler = (*TraceBuffer)(nil)

// NewTraceBuffer wraps next (nil: discard) and keeps the last size SIP
// messages (0: DefaultTraceSize).
func NewTraceBuffer(next slog.Handler, size int) *TraceBuffer {
	if next == nil {
		next = slog.DiscardHandler
	}
	if size <= 0 {
		size = DefaultTraceSize
	}
	return &TraceBuffer{next: next, ring: &traceRing{entries: make([]TraceEntry, 0, size)}}
}

// Enabled implements slog.Handler: true where the next handler is, and
// for debug records on a logger derived with component=TraceComponent.
func (b *TraceBuffer) Enabled(ctx context.Context, l slog.Level) bool {
	return b.next.Enabled(ctx, l) || b.trace && !b.group
}

// Handle implements slog.Handler.
func (b *TraceBuffer) Handle(ctx context.Context, r slog.Record) error {
	if !b.group && (r.Message == TraceIn || r.Message == TraceOut) {
		e := TraceEntry{Time: r.Time, Out: r.Message == TraceOut}
		set := func(a slog.Attr) bool {
			switch a.Key {
			case "transport":
				e.Transport = a.Value.String()
			case "from":
				e.From = a.Value.String()
			case "to":
				e.To = a.Value.String()
			case "msg":
				e.Msg = RedactSIP(a.Value.String())
			}
			return true
		}
		for _, a := range b.attrs {
			set(a)
		}
		r.Attrs(set)
		b.ring.add(e)
	}
	if b.next.Enabled(ctx, r.Level) {
		return b.next.Handle(ctx, r)
	}
	return nil
}

// WithAttrs implements slog.Handler.
func (b *TraceBuffer) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *b
	c.next = b.next.WithAttrs(attrs)
	if !b.group {
		c.attrs = append(append([]slog.Attr(nil), b.attrs...), attrs...)
		for _, a := range attrs {
			if a.Key == "component" && a.Value.String() == TraceComponent {
				c.trace = true
			}
		}
	}
	return &c
}

// WithGroup implements slog.Handler.
func (b *TraceBuffer) WithGroup(name string) slog.Handler {
	if name == "" {
		return b
	}
	c := *b
	c.next = b.next.WithGroup(name)
	c.group = true
	return &c
}

// Entries returns the captured messages, oldest first.
func (b *TraceBuffer) Entries() []TraceEntry {
	r := b.ring
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]TraceEntry, 0, len(r.entries))
	if r.full {
		out = append(out, r.entries[r.next:]...)
		out = append(out, r.entries[:r.next]...)
	} else {
		out = append(out, r.entries...)
	}
	return out
}

// Seq counts the messages captured so far (it keeps growing when the ring
// drops old ones), so a viewer can tell whether anything is new.
func (b *TraceBuffer) Seq() uint64 {
	b.ring.mu.Lock()
	defer b.ring.mu.Unlock()
	return b.ring.seq
}

// Clear forgets the captured messages.
func (b *TraceBuffer) Clear() {
	r := b.ring
	r.mu.Lock()
	r.entries, r.next, r.full = r.entries[:0], 0, false
	r.seq++
	r.mu.Unlock()
}

// SetOnChange sets f to run (on the logging goroutine, without the lock
// held; it must not block) after each captured message; nil removes it.
func (b *TraceBuffer) SetOnChange(f func()) {
	b.ring.mu.Lock()
	b.ring.notify = f
	b.ring.mu.Unlock()
}

func (r *traceRing) add(e TraceEntry) {
	r.mu.Lock()
	if !r.full && len(r.entries) < cap(r.entries) {
		r.entries = append(r.entries, e)
	} else {
		r.full = true
		r.entries[r.next] = e
		r.next = (r.next + 1) % len(r.entries)
	}
	r.seq++
	f := r.notify
	r.mu.Unlock()
	if f != nil {
		f()
	}
}

// RedactSIP blanks the secrets of a SIP message (phone.RedactSIP).
func RedactSIP(msg string) string { return phone.RedactSIP(msg) }
