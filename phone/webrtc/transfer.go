package webrtc

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"switchboard/phone"
	"switchboard/phone/ringcentral"
	"switchboard/phone/sipmsg"
)

// Moving calls over WebRTC: transfer (REFER, RFC 3515; flows of RFC 5589),
// Replaces (RFC 3891), 302 redirection, INFO with any body, and RingCentral's
// own call control (phone/ringcentral.Control). The SIP is the same as
// phone/sip's; every in-dialog request goes over the account's websocket.
//
// The small pure helpers (Replaces and Refer-To parsing, sipfrag) are
// duplicated from phone/sip/transfer.go rather than shared: they are a few
// lines each and phone/sip is owned and tested on its own.

var (
	_ phone.Transferer      = (*session)(nil)
	_ phone.InfoSender      = (*session)(nil)
	_ phone.ProviderControl = (*session)(nil)
)

// Dialog returns this call's dialog identity and the far end's URI. On
// outbound calls it is complete once the call is answered.
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
		remote = c.client.InviteRequest.Recipient
	case c.server != nil:
		// sipgo puts our tag in the INVITE's To when it reads it (every
		// response carries it); InviteResponse changes as we respond.
		if to := c.server.InviteRequest.To(); to != nil {
			ref.LocalTag, _ = to.Params.Get("tag")
		}
		if f := c.server.InviteRequest.From(); f != nil {
			ref.RemoteTag, _ = f.Params.Get("tag")
			remote = f.Address
		}
	}
	u := sip.Uri{Scheme: remote.Scheme, User: remote.User, Host: remote.Host, Port: remote.Port}
	if u.Scheme == "" {
		u.Scheme = "sip"
	}
	return ref, u.String()
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

// inDialog sends an in-dialog request (serialised with the others) and
// turns a non-2xx final response into an error naming what.
func (c *session) inDialog(ctx context.Context, what string, req *sip.Request) error {
	c.dlgMu.Lock()
	res, err := c.request(ctx, req)
	c.dlgMu.Unlock()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if !res.IsSuccess() {
		return fmt.Errorf("%s refused: %d %s", what, res.StatusCode, res.Reason)
	}
	return nil
}

// Refer sends REFER: a blind transfer when replaces is nil, else attended
// (the Refer-To carries a Replaces header naming the consultation dialog).
func (c *session) Refer(ctx context.Context, target string, replaces *phone.DialogRef) error {
	c.mu.Lock()
	answered := c.answered
	c.mu.Unlock()
	if !answered {
		return errors.New("only an answered call can be transferred")
	}
	uri, err := dialURI(target, c.l.t.domain)
	if err != nil {
		return err
	}
	u := sip.Uri{Scheme: uri.Scheme, User: uri.User, Host: uri.Host, Port: uri.Port}
	referTo := sipmsg.ReferTo(u, replaces)
	req := sip.NewRequest(sip.REFER, sip.Uri{})
	req.AppendHeader(sip.NewHeader("Refer-To", referTo))
	req.AppendHeader(sip.NewHeader("Referred-By", "<"+c.localURI()+">"))
	c.dlgMu.Lock()
	res, err := c.request(ctx, req)
	c.dlgMu.Unlock()
	if err != nil {
		return fmt.Errorf("REFER: %w", err)
	}
	if !res.IsSuccess() {
		return fmt.Errorf("the other side refused the transfer: %d %s", res.StatusCode, res.Reason)
	}
	return nil
}

// NotifyTransfer reports how the transfer we were asked to make went: a
// NOTIFY of the REFER's implicit subscription with a message/sipfrag body.
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
	return c.inDialog(ctx, "NOTIFY", req)
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
	uri, err := dialURI(target, c.l.t.domain)
	if err != nil {
		return err
	}
	res := sip.NewResponseFromRequest(c.server.InviteRequest, 302, "Moved Temporarily", nil)
	res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: uri.Scheme, User: uri.User, Host: uri.Host, Port: uri.Port}})
	c.dlgMu.Lock()
	err = c.server.WriteResponse(res)
	c.dlgMu.Unlock()
	c.emit(phone.SessionEvent{Kind: phone.SessEnded, Code: 302, Cause: phone.CauseForwarded, Reason: "forwarded to " + target})
	return err
}

// SendInfo sends an in-dialog INFO with body.
func (c *session) SendInfo(ctx context.Context, contentType string, body []byte) error {
	req := sip.NewRequest(sip.INFO, sip.Uri{})
	req.AppendHeader(sip.NewHeader("Content-Type", contentType))
	req.SetBody(body)
	return c.inDialog(ctx, "INFO", req)
}

// onRefer handles an incoming REFER: the far end transfers us.
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

// onNotify answers a NOTIFY, then reports one about our REFER (Event:
// refer). Answering first keeps our BYE (we hang up on a final 200) behind
// the 200; if the far end hangs up first, the core counts that as done.
func (s *Signaler) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	respond(tx, req, 200, "OK", nil)
	if c := s.lookup(req); c != nil {
		if ev := req.GetHeader("Event"); ev != nil && strings.HasPrefix(strings.ToLower(strings.TrimSpace(ev.Value())), "refer") {
			if code, reason, ok := sipmsg.ParseSipfrag(req.Body()); ok {
				c.emit(phone.SessionEvent{Kind: phone.SessTransfer, Code: code, Reason: reason})
			}
		}
	}
}

// onInfo answers an INFO: DTMF relay becomes SessDTMF, a RingCentral
// command result goes to its Command call, anything else is SessInfo.
func (s *Signaler) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	c := s.lookup(req)
	if c == nil {
		respond(tx, req, 200, "OK", nil)
		return
	}
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = strings.ToLower(strings.TrimSpace(h.Value()))
	}
	if ct == "" || strings.HasPrefix(ct, "application/dtmf") {
		if d, ok := sipmsg.ParseDTMFRelay(req.Body()); ok {
			// A digit is reported before our 200: the sender's next INFO
			// (the next digit) waits for it, so digits keep their order.
			c.emit(phone.SessionEvent{Kind: phone.SessDTMF, Digit: d})
			respond(tx, req, 200, "OK", nil)
			return
		}
	}
	// Anything else is answered first: a command result may make us hang
	// up, and our BYE must follow the 200.
	respond(tx, req, 200, "OK", nil)
	if c.rc != nil && c.rc.HandleInfo(req.Body()) {
		return // the result of one of our RingCentral commands
	}
	if len(req.Body()) > 0 {
		c.emit(phone.SessionEvent{Kind: phone.SessInfo, ContentType: ct, Body: req.Body()})
	}
}

// ---- RingCentral call control ----

// setupRC gives a RingCentral call its call control: the account is a
// RingCentral one, or the inbound INVITE carries RingCentral's P-rc header
// (prc; "" for outbound calls).
func (c *session) setupRC(prc string) {
	if c.l.acct.Provider != phone.ProviderRingCentral && prc == "" {
		return
	}
	c.rc = &ringcentral.Control{SendInfo: c.SendInfo, SendMessage: c.sendMessage, AuthID: c.l.t.authUser}
	if prc != "" {
		if p, err := ringcentral.ParsePRc(prc); err == nil {
			c.rc.PRc = &p
		} else {
			c.l.log.Warn("inbound call: unreadable P-rc header", "err", err)
		}
	}
}

// ProviderCommand runs a RingCentral in-call command (callpark, callflip,
// startcallrecord, stopcallrecord).
func (c *session) ProviderCommand(ctx context.Context, command, target string) (phone.ProviderResult, error) {
	if c.rc == nil {
		return phone.ProviderResult{}, phone.ErrNotSupported
	}
	return c.rc.Command(ctx, command, target)
}

// ProviderAgent sends a RingCentral x-rc/agent command about this ringing call.
func (c *session) ProviderAgent(ctx context.Context, command, target, text string) error {
	if c.rc == nil {
		return phone.ErrNotSupported
	}
	return c.rc.Agent(ctx, command, target, text)
}

// sendMessage sends a MESSAGE with this call's Call-ID to the P-rc address
// to, over the account's websocket.
func (c *session) sendMessage(ctx context.Context, to, contentType string, body []byte) error {
	l := c.l
	uri := sipmsg.AgentURI(to)
	req := sip.NewRequest(sip.MESSAGE, uri)
	req.AppendHeader(&sip.ToHeader{Address: uri, Params: sip.NewParams()})
	from := &sip.FromHeader{Address: l.aor(), Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	cid := sip.CallIDHeader(c.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(sip.NewHeader("Content-Type", contentType))
	req.SetBody(body)
	l.prepare(req)
	res, err := l.do(ctx, req)
	if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) {
		res, err = l.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: l.t.authUser, Password: l.pw})
		if err == nil && res == nil {
			err = errNoResponse
		}
	}
	if err != nil {
		return fmt.Errorf("MESSAGE: %w", err)
	}
	if !res.IsSuccess() {
		return fmt.Errorf("MESSAGE refused: %d %s", res.StatusCode, res.Reason)
	}
	return nil
}

// matchReplaces finds the session an INVITE's Replaces header names, from
// our side: its to-tag is our tag, its from-tag the far end's. nil, nil
// when no dialog of ours matches.
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
	c.mu.Lock()
	early := c.server == nil && !c.answered // outbound, and our INVITE not answered yet
	c.mu.Unlock()
	if early {
		return nil, nil
	}
	ours, _ := c.Dialog()
	if ours.LocalTag != ref.RemoteTag || ours.RemoteTag != ref.LocalTag {
		return nil, nil
	}
	return c, nil
}
