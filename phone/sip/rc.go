package sip

import (
	"context"
	"errors"
	"fmt"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"switchboard/phone"
	"switchboard/phone/ringcentral"
	"switchboard/phone/sipmsg"
)

// RingCentral call control over plain SIP (TLS accounts, softphone-ts
// style): the protocol is in phone/ringcentral; this file gives it the
// call's INFO and MESSAGE senders.

var _ phone.ProviderControl = (*session)(nil)

// setupRC gives a RingCentral account's call its call control; prc is the
// inbound INVITE's P-rc header ("" for outbound calls).
func (c *session) setupRC(prc string) {
	if c.acct == nil || c.acct.Provider != phone.ProviderRingCentral {
		return
	}
	t, _ := accountTarget(*c.acct)
	c.rc = &ringcentral.Control{SendInfo: c.SendInfo, SendMessage: c.sendMessage, AuthID: t.authUser}
	if prc != "" {
		if p, err := ringcentral.ParsePRc(prc); err == nil {
			c.rc.PRc = &p
		} else {
			c.sig.log.Warn("inbound call: unreadable P-rc header", "err", err)
		}
	}
}

// ProviderCommand runs a RingCentral in-call command.
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

// sendMessage sends a MESSAGE with this call's Call-ID to the P-rc
// address to, through the account's proxy.
func (c *session) sendMessage(ctx context.Context, to, contentType string, body []byte) error {
	if c.acct == nil {
		return errors.New("no account")
	}
	t, err := accountTarget(*c.acct)
	if err != nil {
		return err
	}
	client, err := c.sig.clientFor(*c.acct)
	if err != nil {
		return err
	}
	uri := sipmsg.AgentURI(to)
	req := sip.NewRequest(sip.MESSAGE, uri)
	req.AppendHeader(&sip.ToHeader{Address: uri, Params: sip.NewParams()})
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: t.user, Host: t.domain}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	cid := sip.CallIDHeader(c.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(sip.NewHeader("Content-Type", contentType))
	req.SetBody(body)
	if t.transport != "" {
		req.SetTransport(t.transport)
	}
	req.SetDestination(t.dest)
	res, err := client.Do(ctx, req)
	if err == nil && res != nil && (res.StatusCode == 401 || res.StatusCode == 407) {
		res, err = client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: t.authUser, Password: c.pw})
	}
	if err == nil && res == nil {
		err = errNoResponse
	}
	if err != nil {
		return fmt.Errorf("MESSAGE: %w", err)
	}
	if !res.IsSuccess() {
		return fmt.Errorf("MESSAGE refused: %d %s", res.StatusCode, res.Reason)
	}
	return nil
}
