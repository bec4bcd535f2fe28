package sip

import (
	"log/slog"
	"sync/atomic"

	"github.com/emiago/sipgo/sip"

	"switchboard/phone"
)

// Redact returns a SIP message as text with its secrets blanked
// (phone.RedactSIP: Authorization credentials and SRTP keys).
func Redact(msg []byte) string { return phone.RedactSIP(string(msg)) }

// tracer sends sipgo's wire trace to slog, redacted. sipgo's switch and
// tracer are process-wide variables that its transport goroutines read
// without locks, so they are set once at package init and never written
// again; enabling a trace only swaps the logger, atomically.
type tracer struct{ log atomic.Pointer[slog.Logger] }

var wireTrace tracer

func init() {
	sip.SIPDebugTracer(&wireTrace)
	sip.SIPDebug = true
}

func (t *tracer) SIPTraceRead(transport, laddr, raddr string, msg []byte) {
	if l := t.log.Load(); l != nil {
		l.Debug("SIP in", "transport", transport, "from", raddr, "to", laddr, "msg", Redact(msg))
	}
}

func (t *tracer) SIPTraceWrite(transport, laddr, raddr string, msg []byte) {
	if l := t.log.Load(); l != nil {
		l.Debug("SIP out", "transport", transport, "from", laddr, "to", raddr, "msg", Redact(msg))
	}
}

// enableTrace sends the wire trace to log (one SIP stack per process; the
// last one to enable it wins).
func enableTrace(log *slog.Logger) {
	wireTrace.log.Store(log.With("component", "sip-trace"))
}
