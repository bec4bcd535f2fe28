// Package launch handles how Switchboard is started from outside: the
// click-to-call link on the command line (sip:, sips:, tel: and callto:
// URIs, as a desktop's URL handler passes them) and the one-instance-per-
// user rule, where a second launch hands its link to the running instance
// over a local socket and exits.
//
// It has no Fyne, cgo or network-stack import beyond the standard library,
// so main (and tests) may use it on every platform, Android included.
//
//	second launch                      running instance
//	 switchboard sip:bob@example.com    Listen(dir) ── Serve(ctx, handler)
//	   Listen(dir) → ErrRunning             ▲
//	   Handoff(ctx, dir, link) ── unix socket, key file ─┘ → handler(Request)
//	   exit 0                                 (window forward, dial)
package launch

import (
	"net/url"
	"strings"
)

// Schemes are the URI schemes Switchboard registers as a handler for.
var Schemes = []string{"sip", "sips", "tel", "callto"}

// ParseLink reports whether arg is a click-to-call link and turns it into a
// dial target the phone (and ui.NormalizeTarget) understands:
//
//	sip:alice@example.com, sip://alice@example.com → sip:alice@example.com
//	sips:alice@example.com                          → sips:alice@example.com
//	tel:+1-555-123-4567;phone-context=…             → tel:+1-555-123-4567
//	callto:alice@example.com, callto://alice@…      → sip:alice@example.com
//	callto:+15551234567, callto://+15551234567      → tel:+15551234567
//	callto:sip:alice@example.com                    → sip:alice@example.com
//
// Percent-escapes are decoded (browsers encode "+" and spaces). Anything
// else, and a link with nothing after the scheme, is not a link.
func ParseLink(arg string) (target string, ok bool) {
	arg = strings.TrimSpace(arg)
	scheme, rest, found := strings.Cut(arg, ":")
	if !found {
		return "", false
	}
	scheme = strings.ToLower(scheme)
	known := false
	for _, s := range Schemes {
		known = known || s == scheme
	}
	if !known {
		return "", false
	}
	rest = strings.TrimPrefix(rest, "//")
	if dec, err := url.PathUnescape(rest); err == nil {
		rest = dec
	}
	rest = strings.TrimSpace(strings.TrimSuffix(rest, "/"))
	if rest == "" {
		return "", false
	}
	switch scheme {
	case "sip", "sips":
		return scheme + ":" + rest, true
	case "tel":
		// Parameters (;phone-context=, ;ext=) say nothing a softphone dials.
		num, _, _ := strings.Cut(rest, ";")
		if num == "" {
			return "", false
		}
		return "tel:" + num, true
	}
	// callto: Skype/NetMeeting style; may wrap a sip: or tel: URI.
	if t, ok := ParseLink(rest); ok && !strings.HasPrefix(strings.ToLower(rest), "callto:") {
		return t, true
	}
	if strings.Contains(rest, "@") {
		return "sip:" + rest, true
	}
	return "tel:" + rest, true
}
