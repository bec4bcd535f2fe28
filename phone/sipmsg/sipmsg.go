// Package sipmsg reads and writes the SIP header and body formats both
// signalling backends (phone/sip, phone/webrtc) use for moving calls and
// provider quirks: Replaces (RFC 3891), Refer-To with an embedded
// Replaces, message/sipfrag, DTMF relay INFO bodies, auto-answer headers
// and RingCentral's P-rc addresses. sipgo parses messages but not these
// header contents, so the few lines each needs are written here, once.
package sipmsg

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"

	"switchboard/phone"
)

// ReplacesValue renders ref as a Replaces header value. ref is seen from the
// side that holds the dialog, so the far end's tag is the to-tag.
func ReplacesValue(ref phone.DialogRef) string {
	return ref.CallID + ";to-tag=" + ref.RemoteTag + ";from-tag=" + ref.LocalTag
}

// ParseReplaces reads a Replaces header value into a DialogRef seen from
// the side that built it (the inverse of ReplacesValue).
func ParseReplaces(v string) (*phone.DialogRef, error) {
	parts := strings.Split(strings.TrimSpace(v), ";")
	ref := &phone.DialogRef{CallID: strings.TrimSpace(parts[0])}
	for _, p := range parts[1:] {
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch strings.ToLower(k) {
		case "to-tag":
			ref.RemoteTag = val
		case "from-tag":
			ref.LocalTag = val
		}
	}
	if ref.CallID == "" || ref.RemoteTag == "" || ref.LocalTag == "" {
		return nil, fmt.Errorf("Replaces %q needs a Call-ID, to-tag and from-tag", v)
	}
	return ref, nil
}

// escapeHeaderValue percent-encodes a value for a URI header (?Name=value):
// everything but unreserved characters.
func escapeHeaderValue(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		ch := v[i]
		if ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.IndexByte("-_.!~*'()", ch) >= 0 {
			b.WriteByte(ch)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", ch)
	}
	return b.String()
}

// ParseReferTo splits a Refer-To value into the target URI and an
// embedded Replaces header, if any.
func ParseReferTo(v string) (string, *phone.DialogRef, error) {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			return "", nil, errors.New("Refer-To has an unclosed <")
		}
		v = v[i+1 : i+j]
	}
	uri, hdrs, _ := strings.Cut(v, "?")
	var u sip.Uri
	if err := sip.ParseUri(uri, &u); err != nil || u.Host == "" {
		return "", nil, fmt.Errorf("Refer-To %q is not a SIP URI", uri)
	}
	var replaces *phone.DialogRef
	for _, kv := range strings.Split(hdrs, "&") {
		k, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.EqualFold(k, "Replaces") {
			continue
		}
		dec, err := url.PathUnescape(val)
		if err != nil {
			return "", nil, fmt.Errorf("Refer-To Replaces: %w", err)
		}
		if replaces, err = ParseReplaces(dec); err != nil {
			return "", nil, err
		}
	}
	return uri, replaces, nil
}

// ParseSipfrag reads the status line of a message/sipfrag body.
func ParseSipfrag(body []byte) (int, string, bool) {
	line, _, _ := strings.Cut(string(body), "\n")
	f := strings.SplitN(strings.TrimSpace(line), " ", 3)
	if len(f) < 2 || !strings.HasPrefix(f[0], "SIP/") {
		return 0, "", false
	}
	code, err := strconv.Atoi(f[1])
	if err != nil || code < 100 || code > 699 {
		return 0, "", false
	}
	reason := ""
	if len(f) == 3 {
		reason = f[2]
	}
	return code, reason, true
}

// ReferTo renders a Refer-To value for uri: blind when replaces is nil,
// else with a Replaces header naming that dialog (attended transfer).
func ReferTo(uri sip.Uri, replaces *phone.DialogRef) string {
	v := "<" + uri.String()
	if replaces != nil {
		v += "?Replaces=" + escapeHeaderValue(ReplacesValue(*replaces))
	}
	return v + ">"
}

// Sipfrag is the message/sipfrag body of a REFER NOTIFY: a status line.
func Sipfrag(code int, reason string) []byte {
	return []byte("SIP/2.0 " + strconv.Itoa(code) + " " + reason + "\r\n")
}

// ParseDTMFRelay reads the digit of an application/dtmf-relay or
// application/dtmf INFO body.
func ParseDTMFRelay(body []byte) (rune, bool) {
	for _, line := range strings.Split(string(body), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			v = strings.TrimSpace(line) // application/dtmf: just the digit
		} else if !strings.EqualFold(strings.TrimSpace(k), "signal") {
			continue
		}
		v = strings.ToUpper(strings.TrimSpace(v))
		if v == "10" {
			return '*', true
		}
		if v == "11" {
			return '#', true
		}
		if len(v) == 1 && strings.ContainsAny(v, "0123456789*#ABCD") {
			return rune(v[0]), true
		}
	}
	return 0, false
}

// AnswerAfter reads auto-answer requests (Call-Info answer-after=N,
// Alert-Info auto answer) from an INVITE: seconds, or -1.
func AnswerAfter(req *sip.Request) int {
	for _, h := range req.GetHeaders("Call-Info") {
		v := strings.ToLower(h.Value())
		if i := strings.Index(v, "answer-after="); i >= 0 {
			n := v[i+len("answer-after="):]
			if j := strings.IndexAny(n, ";, "); j >= 0 {
				n = n[:j]
			}
			if secs, err := strconv.Atoi(n); err == nil && secs >= 0 {
				return secs
			}
		}
	}
	for _, h := range req.GetHeaders("Alert-Info") {
		v := strings.ToLower(h.Value())
		if strings.Contains(v, "auto answer") || strings.Contains(v, "auto-answer") || strings.Contains(v, "info=alert-autoanswer") {
			return 0
		}
	}
	return -1
}

// AgentURI makes a SIP URI of a P-rc address such as
// "#1032016@sip.ringcentral.com:5060" ('#' escaped in the user part).
func AgentURI(addr string) sip.Uri {
	user, hostport, ok := strings.Cut(addr, "@")
	if !ok {
		user, hostport = "", addr
	}
	u := sip.Uri{Scheme: "sip", User: strings.ReplaceAll(user, "#", "%23"), Host: hostport}
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		u.Host = h
		u.Port, _ = strconv.Atoi(p)
	}
	return u
}
