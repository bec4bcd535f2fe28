package sip

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emiago/sipgo/sip"

	"switchboard/phone"
	"switchboard/phone/sipmsg"
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
	referTo := sipmsg.ReferTo(u, replaces)
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
	req.SetBody(sipmsg.Sipfrag(code, reason))
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
	target, replaces, err := sipmsg.ParseReferTo(h.Value())
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

// onNotify routes a NOTIFY for our REFER to its session.
func (s *Signaler) onReferNotify(c *session, req *sip.Request) {
	code, reason, ok := sipmsg.ParseSipfrag(req.Body())
	if !ok {
		return
	}
	c.emit(phone.SessionEvent{Kind: phone.SessTransfer, Code: code, Reason: reason})
}

// matchReplaces finds the session an INVITE's Replaces header names, from
// our side: its to-tag is our tag, its from-tag the far end's.
func (s *Signaler) matchReplaces(v string) (*session, error) {
	ref, err := sipmsg.ParseReplaces(v)
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
