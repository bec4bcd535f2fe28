package sip

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"

	"switchboard/phone"
)

// Call transfer (REFER, RFC 3515; transfer flows, RFC 5589), Replaces
// (RFC 3891) and redirection. sipgo has the dialog and transaction layers
// but no REFER/NOTIFY subscription or Replaces support, so the little that
// is needed is written here.

var _ phone.Transferer = (*session)(nil)
var _ phone.InfoSender = (*session)(nil)

// Dialog returns this call's dialog identity and the far end's URI.
func (c *session) Dialog() (phone.DialogRef, string) {
	ref := phone.DialogRef{CallID: c.callID}
	var remote sip.Uri
	switch {
	case c.client != nil:
		if f := c.client.InviteRequest.From(); f != nil {
			ref.LocalTag, _ = f.Params.Get("tag")
		}
		if res := c.client.InviteResponse; res != nil && res.To() != nil {
			ref.RemoteTag, _ = res.To().Params.Get("tag")
		}
		remote = c.client.InviteRequest.Recipient // what we dialled, port included
	case c.server != nil:
		if res := c.server.InviteResponse; res != nil && res.To() != nil {
			ref.LocalTag, _ = res.To().Params.Get("tag")
		}
		if f := c.server.InviteRequest.From(); f != nil {
			ref.RemoteTag, _ = f.Params.Get("tag")
			remote = f.Address
		}
		if ct := c.server.InviteRequest.Contact(); c.acct == nil && ct != nil {
			// Direct IP: the caller's AOR may not route; its Contact does.
			remote = ct.Address
		}
	}
	u := sip.Uri{Scheme: remote.Scheme, User: remote.User, Host: remote.Host, Port: remote.Port}
	if u.Scheme == "" {
		u.Scheme = "sip"
	}
	return ref, u.String()
}

// replacesValue renders ref as a Replaces header value. ref is seen from the
// side that holds the dialog, so the far end's tag is the to-tag.
func replacesValue(ref phone.DialogRef) string {
	return ref.CallID + ";to-tag=" + ref.RemoteTag + ";from-tag=" + ref.LocalTag
}

// parseReplaces reads a Replaces header value into a DialogRef seen from
// the side that built it (the inverse of replacesValue).
func parseReplaces(v string) (*phone.DialogRef, error) {
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

// Refer sends REFER: blind when replaces is nil, attended otherwise.
func (c *session) Refer(ctx context.Context, target string, replaces *phone.DialogRef) error {
	c.mu.Lock()
	answered := c.answered
	c.mu.Unlock()
	if !answered {
		return errors.New("only an answered call can be transferred")
	}
	uri, _, _, _, _, err := c.sig.dialTarget(phone.DialRequest{Account: c.acct, Target: target})
	if err != nil {
		return err
	}
	u := sip.Uri{Scheme: uri.Scheme, User: uri.User, Host: uri.Host, Port: uri.Port, UriParams: uri.UriParams}
	referTo := "<" + u.String()
	if replaces != nil {
		referTo += "?Replaces=" + escapeHeaderValue(replacesValue(*replaces))
	}
	referTo += ">"
	req := sip.NewRequest(sip.REFER, sip.Uri{})
	req.AppendHeader(sip.NewHeader("Refer-To", referTo))
	req.AppendHeader(sip.NewHeader("Referred-By", "<"+c.localURI()+">"))
	res, err := c.request(ctx, req)
	if err != nil {
		return fmt.Errorf("REFER: %w", err)
	}
	if !res.IsSuccess() {
		return fmt.Errorf("the other side refused the transfer: %d %s", res.StatusCode, res.Reason)
	}
	return nil
}

// localURI is our address in this dialog (From of our INVITE, To of theirs).
func (c *session) localURI() string {
	var a sip.Uri
	switch {
	case c.client != nil && c.client.InviteRequest.From() != nil:
		a = c.client.InviteRequest.From().Address
	case c.server != nil && c.server.InviteRequest.To() != nil:
		a = c.server.InviteRequest.To().Address
	}
	u := sip.Uri{Scheme: a.Scheme, User: a.User, Host: a.Host, Port: a.Port}
	if u.Scheme == "" {
		u.Scheme = "sip"
	}
	return u.String()
}

// NotifyTransfer sends the REFER subscription's NOTIFY with a sipfrag.
func (c *session) NotifyTransfer(ctx context.Context, code int, reason string) error {
	req := sip.NewRequest(sip.NOTIFY, sip.Uri{})
	req.AppendHeader(sip.NewHeader("Event", "refer"))
	state := "active;expires=60"
	if code >= 200 {
		state = "terminated;reason=noresource"
	}
	req.AppendHeader(sip.NewHeader("Subscription-State", state))
	req.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	req.SetBody([]byte("SIP/2.0 " + strconv.Itoa(code) + " " + reason + "\r\n"))
	res, err := c.request(ctx, req)
	if err != nil {
		return fmt.Errorf("NOTIFY: %w", err)
	}
	if !res.IsSuccess() {
		return fmt.Errorf("NOTIFY refused: %d %s", res.StatusCode, res.Reason)
	}
	return nil
}

// Redirect answers an unanswered inbound call with 302 to target.
func (c *session) Redirect(ctx context.Context, target string) error {
	if c.server == nil {
		return errors.New("not an inbound call")
	}
	c.mu.Lock()
	answered := c.answered
	c.mu.Unlock()
	if answered {
		return errors.New("the call is already answered")
	}
	uri, _, _, _, _, err := c.sig.dialTarget(phone.DialRequest{Account: c.acct, Target: target})
	if err != nil {
		return err
	}
	res := sip.NewResponseFromRequest(c.server.InviteRequest, 302, "Moved Temporarily", nil)
	res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: uri.Scheme, User: uri.User, Host: uri.Host, Port: uri.Port}})
	err = c.writeResponse(res)
	c.emit(phone.SessionEvent{Kind: phone.SessEnded, Code: 302, Cause: phone.CauseForwarded, Reason: "forwarded to " + target})
	return err
}

// SendInfo sends an in-dialog INFO with body.
func (c *session) SendInfo(ctx context.Context, contentType string, body []byte) error {
	req := sip.NewRequest(sip.INFO, sip.Uri{})
	req.AppendHeader(sip.NewHeader("Content-Type", contentType))
	req.SetBody(body)
	res, err := c.request(ctx, req)
	if err != nil {
		return fmt.Errorf("INFO: %w", err)
	}
	if !res.IsSuccess() {
		return fmt.Errorf("INFO refused: %d %s", res.StatusCode, res.Reason)
	}
	return nil
}

// onRefer handles an incoming REFER: we are being transferred.
func (s *Signaler) onRefer(req *sip.Request, tx sip.ServerTransaction) {
	c := s.lookup(req)
	if c == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist", nil)
		return
	}
	h := req.GetHeader("Refer-To")
	if h == nil {
		respond(tx, req, 400, "Bad Request", nil, sip.NewHeader("Warning", `399 switchboard "Refer-To missing"`))
		return
	}
	target, replaces, err := parseReferTo(h.Value())
	if err != nil {
		respond(tx, req, 400, "Bad Request", nil, sip.NewHeader("Warning", `399 switchboard "`+strings.ReplaceAll(err.Error(), `"`, `'`)+`"`))
		return
	}
	by := ""
	if rb := req.GetHeader("Referred-By"); rb != nil {
		by = strings.Trim(strings.TrimSpace(rb.Value()), "<>")
	}
	respond(tx, req, 202, "Accepted", nil)
	c.emit(phone.SessionEvent{Kind: phone.SessReferred, Target: target, ReferredBy: by, Replaces: replaces})
}

// parseReferTo splits a Refer-To value into the target URI and an
// embedded Replaces header, if any.
func parseReferTo(v string) (string, *phone.DialogRef, error) {
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
		if replaces, err = parseReplaces(dec); err != nil {
			return "", nil, err
		}
	}
	return uri, replaces, nil
}

// onNotify routes a NOTIFY for our REFER to its session.
func (s *Signaler) onReferNotify(c *session, req *sip.Request) {
	code, reason, ok := parseSipfrag(req.Body())
	if !ok {
		return
	}
	c.emit(phone.SessionEvent{Kind: phone.SessTransfer, Code: code, Reason: reason})
}

// parseSipfrag reads the status line of a message/sipfrag body.
func parseSipfrag(body []byte) (int, string, bool) {
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

// matchReplaces finds the session an INVITE's Replaces header names, from
// our side: its to-tag is our tag, its from-tag the far end's.
func (s *Signaler) matchReplaces(v string) (*session, error) {
	ref, err := parseReplaces(v)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	c := s.sessions[ref.CallID]
	s.mu.Unlock()
	if c == nil {
		return nil, nil
	}
	ours, _ := c.Dialog()
	// ref was built from the sender's view of the same dialog: its remote
	// tag (to-tag) is ours.
	if ours.LocalTag != ref.RemoteTag || ours.RemoteTag != ref.LocalTag {
		return nil, nil
	}
	return c, nil
}
