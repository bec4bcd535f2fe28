package phone

import "strings"

// Redacted replaces secrets in traces and logs.
const Redacted = "[redacted]"

// RedactSIP returns a SIP message (or SDP) as text with its secrets
// blanked: the credentials of Authorization and Proxy-Authorization headers
// (the scheme stays, so a trace still shows that auth was sent) and the
// SRTP master keys of SDES a=crypto lines (RFC 4568 "inline:" key params).
// Every place that shows or stores SIP text (the backend's trace, the UI's
// trace viewer) uses this one function.
func RedactSIP(msg string) string {
	lower := strings.ToLower(msg)
	if !strings.Contains(lower, "authorization") && !strings.Contains(lower, "a=crypto:") {
		return msg
	}
	lines := strings.SplitAfter(msg, "\n")
	for i, l := range lines {
		body := strings.TrimRight(l, "\r\n")
		eol := l[len(body):]
		if strings.HasPrefix(strings.ToLower(body), "a=crypto:") {
			f := strings.Fields(body)
			for j := 2; j < len(f); j++ { // tag and suite stay
				if k, _, ok := strings.Cut(f[j], ":"); ok {
					f[j] = k + ":" + Redacted
				}
			}
			lines[i] = strings.Join(f, " ") + eol
			continue
		}
		name, rest, ok := strings.Cut(body, ":")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "authorization", "proxy-authorization":
			scheme, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
			lines[i] = name + ": " + scheme + " " + Redacted + eol
		}
	}
	return strings.Join(lines, "")
}
