package sip

import (
	"log/slog"
	"strings"
	"sync"

	"github.com/emiago/sipgo/sip"
)

// Redact returns a SIP message as text with the credentials of
// Authorization and Proxy-Authorization headers replaced by [redacted]
// (the scheme stays, so a trace still shows that auth was sent).
func Redact(msg []byte) string {
	lines := strings.Split(string(msg), "\n")
	for i, l := range lines {
		name, _, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "authorization", "proxy-authorization":
			rest := strings.TrimSpace(l[len(name)+1:])
			scheme, _, _ := strings.Cut(rest, " ")
			lines[i] = name + ": " + scheme + " [redacted]"
			if strings.HasSuffix(l, "\r") {
				lines[i] += "\r"
			}
		}
	}
	return strings.Join(lines, "\n")
}

// tracer sends sipgo's wire trace to slog, redacted.
type tracer struct{ log *slog.Logger }

func (t tracer) SIPTraceRead(transport, laddr, raddr string, msg []byte) {
	t.log.Debug("SIP in", "transport", transport, "from", raddr, "to", laddr, "msg", Redact(msg))
}

func (t tracer) SIPTraceWrite(transport, laddr, raddr string, msg []byte) {
	t.log.Debug("SIP out", "transport", transport, "from", laddr, "to", raddr, "msg", Redact(msg))
}

var traceOnce sync.Once

// enableTrace turns on sipgo's wire trace (a process-wide switch in sipgo)
// through our redacting tracer.
func enableTrace(log *slog.Logger) {
	traceOnce.Do(func() {
		sip.SIPDebugTracer(tracer{log: log.With("component", "sip-trace")})
		sip.SIPDebug = true
	})
}
