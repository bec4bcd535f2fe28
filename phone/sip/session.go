package sip

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"switchboard/audio"
	"switchboard/audio/resample"
	"switchboard/phone"
	"switchboard/phone/dialplan"
	"switchboard/phone/media"
	"switchboard/phone/ringcentral"
	"switchboard/phone/sipmsg"
)

// session is one call: a sipgo dialog (client or server side) plus its
// media. It implements phone.Session.
type session struct {
	sig     *Signaler
	callID  string
	media   *media.Session
	handler phone.SessionHandler
	ready   chan struct{} // closed once handler is set
	settled chan struct{} // inbound: closed once a final response went out
	settle  sync.Once
	acct    *phone.Account
	pw      string

	mu       sync.Mutex
	client   *sipgo.DialogClientSession // outbound
	server   *sipgo.DialogServerSession // inbound
	answered bool
	ended    bool
	started  bool
	audio    phone.AudioPair
	cancel   context.CancelFunc   // outbound: cancels the INVITE (CANCEL)
	dlgMu    sync.Mutex           // serialises in-dialog requests we send
	final    bool                 // inbound: a final response went out (under dlgMu)
	rc       *ringcentral.Control // RingCentral call control (rc.go), or nil
}

var _ phone.Session = (*session)(nil)

// respond sends a bodiless response to the inbound INVITE. sipgo's server
// dialog is not safe for concurrent responses, so all of them (ringing from
// the handler, the answer from the core) go through dlgMu.
func (c *session) respond(code int, reason string) error {
	c.dlgMu.Lock()
	defer c.dlgMu.Unlock()
	if c.final {
		return nil // a 180 racing a quick answer must not follow the 200
	}
	c.final = code >= 200
	return c.server.Respond(code, reason, nil)
}

// writeResponse sends res to the inbound INVITE under dlgMu.
func (c *session) writeResponse(res *sip.Response) error {
	c.dlgMu.Lock()
	defer c.dlgMu.Unlock()
	if c.final {
		return errors.New("the call was already answered or refused")
	}
	c.final = res.StatusCode >= 200
	return c.server.WriteResponse(res)
}

// settleNow releases the inbound INVITE handler (final response sent).
func (c *session) settleNow() {
	if c.settled != nil {
		c.settle.Do(func() { close(c.settled) })
	}
}

// SIPCallID returns the dialog's Call-ID.
func (c *session) SIPCallID() string { return c.callID }

func (c *session) emit(ev phone.SessionEvent) {
	<-c.ready // inbound: the core installs the handler after we announce the call
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	if ev.Kind == phone.SessEnded {
		c.ended = true
	}
	h := c.handler
	c.mu.Unlock()
	if ev.Kind == phone.SessEnded {
		c.media.Close()
		c.sig.forget(c.callID)
		c.settleNow()
	}
	h(ev)
}

func (c *session) newMedia(ctx context.Context, peerHost string) error {
	ip, err := netip.ParseAddr(c.sig.localIPFor(peerHost))
	if err != nil {
		return err
	}
	codecs := c.sig.cfg.Codecs
	if c.acct != nil && len(c.acct.Codecs) > 0 {
		codecs = c.acct.Codecs
	}
	// SRTP: the account's policy; optional when unset and for direct-IP
	// calls.
	srtp := media.SRTPOptional
	if c.acct != nil {
		switch c.acct.SRTP {
		case phone.SRTPOff:
			srtp = media.SRTPOff
		case phone.SRTPMandatory:
			srtp = media.SRTPMandatory
		}
	}
	stunServer := ""
	if c.acct != nil {
		stunServer = c.sig.cfg.STUNServer
	}
	c.media, err = media.New(ctx, media.Config{LocalIP: ip, PortMin: c.sig.cfg.RTPPortMin,
		PortMax: c.sig.cfg.RTPPortMax, Codecs: codecs, Logger: c.sig.log.With("call", c.callID), SRTP: srtp,
		STUNServer: stunServer})
	return err
}

// adapt converts the device-side audio pair to the negotiated codec format.
func (c *session) adapt(a phone.AudioPair) (audio.Source, audio.Sink) {
	f := c.media.Format()
	if a.Source == nil {
		a.Source = audio.Silence{F: f}
	}
	if a.Sink == nil {
		a.Sink = audio.Discard{F: f}
	}
	src, sink := resample.NewSource(a.Source, f), resample.NewSink(a.Sink, f)
	if a.Tap != nil { // recording: copies at the codec format (tap.go)
		src, sink = tapSource{src, a.Tap}, tapSink{sink, a.Tap}
	}
	return src, sink
}

// startMedia begins RTP once both SDPs are known.
func (c *session) startMedia() error {
	c.mu.Lock()
	if c.started {
		c.mu.Unlock()
		return nil
	}
	c.started = true
	a := c.audio
	c.mu.Unlock()
	src, sink := c.adapt(a)
	if err := c.media.Start(src, sink); err != nil {
		return err
	}
	go func() { // ends when media closes its DTMF channel
		for d := range c.media.DTMF() {
			c.emit(phone.SessionEvent{Kind: phone.SessDTMF, Digit: d})
		}
	}()
	return nil
}

// SetAudio swaps the call's audio.
func (c *session) SetAudio(a phone.AudioPair) {
	c.mu.Lock()
	c.audio = a
	started := c.started
	c.mu.Unlock()
	if started {
		src, sink := c.adapt(a)
		c.media.SetAudio(src, sink)
	}
}

// Stats returns the media figures.
func (c *session) Stats() phone.CallStats {
	st := c.media.Stats()
	return phone.CallStats{Codec: st.Codec, PacketsSent: st.PacketsSent, PacketsReceived: st.PacketsReceived,
		PacketsLost: st.PacketsLost, JitterMs: float64(st.Jitter) / float64(time.Millisecond), RemoteAddr: st.RemoteAddr,
		SRTP: st.SRTP, JitterBufferMs: float64(st.JitterBufferDelay) / float64(time.Millisecond), MOS: st.MOS}
}

// ---- outbound ----

// Dial places an outbound call.
func (s *Signaler) Dial(ctx context.Context, req phone.DialRequest, h phone.SessionHandler) (phone.Session, error) {
	recipient, client, from, dest, transport, err := s.dialTarget(req)
	if err != nil {
		return nil, err
	}
	c := &session{sig: s, handler: h, acct: req.Account, pw: req.Password, audio: req.Audio, ready: make(chan struct{})}
	close(c.ready)
	c.setupRC("")
	peerHost := recipient.Host
	if dest != "" {
		peerHost, _, _ = strings.Cut(dest, ":")
	}
	if err := c.newMedia(ctx, peerHost); err != nil {
		return nil, fmt.Errorf("media: %w", err)
	}
	offer, err := c.media.Offer()
	if err != nil {
		c.media.Close()
		return nil, err
	}
	invite := sip.NewRequest(sip.INVITE, recipient)
	invite.SetBody(offer)
	invite.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	invite.AppendHeader(&from)
	invite.AppendHeader(sip.NewHeader("Allow", allowed))
	invite.AppendHeader(sip.NewHeader("Supported", "replaces, norefersub"))
	if req.Replaces != nil {
		invite.AppendHeader(sip.NewHeader("Replaces", sipmsg.ReplacesValue(*req.Replaces)))
	}
	if req.ReferredBy != "" {
		invite.AppendHeader(sip.NewHeader("Referred-By", "<"+req.ReferredBy+">"))
	}
	if transport != "" {
		invite.SetTransport(transport)
	}
	if dest != "" {
		invite.SetDestination(dest)
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: from.Address.User, Host: s.localIPFor(peerHost)}}
	if transport == "" || transport == "UDP" {
		contact.Address.Port = int(s.listen.Port())
	}
	if transport == "TCP" || transport == "TLS" {
		contact.Address.UriParams = sip.NewParams()
		contact.Address.UriParams.Add("transport", strings.ToLower(transport))
	}
	dua := &sipgo.DialogUA{Client: client, ContactHDR: contact}
	callCtx, cancel := context.WithCancel(ctx)
	c.cancel = cancel
	// Set the Call-ID ourselves (sipgo would add one later) so in-dialog
	// requests can be routed to this session from the first response on.
	id := sip.CallIDHeader(newCallID())
	invite.AppendHeader(&id)
	c.callID = string(id)
	s.remember(c)
	dlg, err := dua.WriteInvite(callCtx, invite)
	if err != nil {
		cancel()
		s.forget(c.callID)
		c.media.Close()
		return nil, fmt.Errorf("send INVITE: %w", err)
	}
	c.client = dlg
	go c.waitAnswer(callCtx)
	return c, nil
}

const allowed = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, NOTIFY, MESSAGE, REFER"

func newCallID() string { return sip.GenerateTagN(24) }

// dialTarget works out where an INVITE goes and who it is from.
func (s *Signaler) dialTarget(req phone.DialRequest) (recipient sip.Uri, client *sipgo.Client, from sip.FromHeader, dest, transport string, err error) {
	to := strings.TrimSpace(req.Target)
	from.Params = sip.NewParams()
	from.Params.Add("tag", sip.GenerateTagN(16))
	if req.Account == nil {
		// Direct IP: sip:user@host[:port] or host[:port].
		u, perr := phone.ParseURI(to)
		if perr != nil || u.Scheme == "tel" {
			return recipient, nil, from, "", "", fmt.Errorf("direct IP calls need an address like sip:alice@192.0.2.10:5060: %v", perr)
		}
		if err := sip.ParseUri(u.String(), &recipient); err != nil {
			return recipient, nil, from, "", "", fmt.Errorf("bad address %q: %w", to, err)
		}
		if recipient.UriParams != nil {
			if tr, ok := recipient.UriParams.Get("transport"); ok {
				transport = strings.ToUpper(tr)
			}
		}
		from.Address = sip.Uri{Scheme: "sip", User: "switchboard", Host: s.host()}
		return recipient, s.client, from, "", transport, nil
	}
	acct := *req.Account
	t, err := accountTarget(acct)
	if err != nil {
		return recipient, nil, from, "", "", err
	}
	client, err = s.clientFor(acct)
	if err != nil {
		return recipient, nil, from, "", "", err
	}
	if dialplan.IsNumber(to) {
		// A phone number: normalise it (E.164 where the account wants it)
		// and dial it at the account's domain.
		n, nerr := dialplan.Normalize(to, acct.DialPlan)
		if nerr != nil {
			return recipient, nil, from, "", "", nerr
		}
		recipient = sip.Uri{Scheme: "sip", User: n, Host: t.domain}
	} else if u, perr := phone.ParseURI(to); perr == nil && u.User == "" && !strings.Contains(to, ":") && !strings.Contains(to, ".") {
		// A bare user name such as "bob".
		if verr := phone.ValidateUser(to); verr != nil {
			return recipient, nil, from, "", "", fmt.Errorf("cannot dial %q: %v", to, verr)
		}
		recipient = sip.Uri{Scheme: "sip", User: to, Host: t.domain}
	} else if perr != nil {
		return recipient, nil, from, "", "", fmt.Errorf("cannot dial %q: %v", to, perr)
	} else if perr := sip.ParseUri(u.String(), &recipient); perr != nil {
		return recipient, nil, from, "", "", fmt.Errorf("bad address %q: %w", to, perr)
	}
	from.DisplayName = acct.DisplayName
	from.Address = sip.Uri{Scheme: "sip", User: t.user, Host: t.domain}
	if acct.CallerID != "" {
		from.DisplayName = acct.CallerID
	}
	return recipient, client, from, t.dest, t.transport, nil
}

func (c *session) waitAnswer(ctx context.Context) {
	dlg := c.client
	authUser := ""
	if c.acct != nil {
		t, _ := accountTarget(*c.acct)
		authUser = t.authUser
	}
	err := dlg.WaitAnswer(ctx, sipgo.AnswerOptions{
		Username: authUser, Password: c.pw,
		OnResponse: func(res *sip.Response) error {
			if res.StatusCode > 100 && res.StatusCode < 200 {
				early := len(res.Body()) > 0
				if early {
					if err := c.media.SetAnswer(res.Body()); err == nil {
						_ = c.startMedia()
					} else {
						early = false
					}
				}
				c.emit(phone.SessionEvent{Kind: phone.SessProgress, Code: res.StatusCode, Reason: res.Reason, EarlyMedia: early})
			}
			return nil
		},
	})
	if err != nil {
		var dr *sipgo.ErrDialogResponse
		switch {
		case errors.As(err, &dr):
			code := dr.Res.StatusCode
			ev := phone.SessionEvent{Kind: phone.SessEnded, Code: code, Cause: phone.CauseFromStatus(code),
				Reason: fmt.Sprintf("%d %s", code, dr.Res.Reason)}
			if ct := dr.Res.Contact(); code >= 300 && code < 400 && ct != nil {
				// Redirect: the core may follow it (Target).
				u := ct.Address
				ev.Target = (&sip.Uri{Scheme: u.Scheme, User: u.User, Host: u.Host, Port: u.Port}).String()
				ev.Cause = phone.CauseForwarded
			}
			c.emit(ev)
		case ctx.Err() != nil:
			c.emit(phone.SessionEvent{Kind: phone.SessEnded, Cause: phone.CauseCancelled, Reason: "cancelled"})
		default:
			c.emit(phone.SessionEvent{Kind: phone.SessEnded, Cause: phone.CauseError, Reason: netReason(err)})
		}
		return
	}
	if err := c.media.SetAnswer(dlg.InviteResponse.Body()); err != nil {
		ctx2, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = dlg.Ack(ctx2)
		_ = dlg.Bye(ctx2)
		c.emit(phone.SessionEvent{Kind: phone.SessEnded, Cause: phone.CauseMedia, Reason: "bad answer SDP: " + err.Error()})
		return
	}
	if err := dlg.Ack(ctx); err != nil {
		c.sig.log.Warn("ACK failed", "call", c.callID, "err", err)
	}
	c.mu.Lock()
	c.answered = true
	c.mu.Unlock()
	if err := c.startMedia(); err != nil {
		c.sig.log.Warn("media start failed", "call", c.callID, "err", err)
	}
	c.emit(phone.SessionEvent{Kind: phone.SessAnswered, Code: 200, Codec: c.media.Codec()})
}

// ---- common call actions ----

// Answer answers an inbound call.
func (c *session) Answer(ctx context.Context, a phone.AudioPair) error {
	if c.server == nil {
		return errors.New("not an inbound call")
	}
	c.mu.Lock()
	c.audio = a
	c.mu.Unlock()
	answer, err := c.media.Answer(c.server.InviteRequest.Body())
	if err != nil {
		_ = c.respond(488, "Not Acceptable Here")
		c.emit(phone.SessionEvent{Kind: phone.SessEnded, Cause: phone.CauseMedia, Reason: err.Error()})
		return err
	}
	res := sip.NewSDPResponseFromRequest(c.server.InviteRequest, answer)
	res.AppendHeader(sip.NewHeader("Allow", allowed))
	if err := c.writeResponse(res); err != nil {
		c.emit(phone.SessionEvent{Kind: phone.SessEnded, Cause: phone.CauseError, Reason: "answer: " + err.Error()})
		return err
	}
	c.mu.Lock()
	c.answered = true
	c.mu.Unlock()
	c.settleNow()
	if err := c.startMedia(); err != nil {
		return err
	}
	c.emit(phone.SessionEvent{Kind: phone.SessAnswered, Code: 200, Codec: c.media.Codec()})
	return nil
}

// Reject refuses an inbound call.
func (c *session) Reject(ctx context.Context, code int) error {
	if c.server == nil {
		return errors.New("not an inbound call")
	}
	reason := "Decline"
	switch code {
	case 486:
		reason = "Busy Here"
	case 480:
		reason = "Temporarily Unavailable"
	}
	err := c.respond(code, reason)
	c.emit(phone.SessionEvent{Kind: phone.SessEnded, Code: code, Cause: phone.CauseFromStatus(code), Reason: reason})
	return err
}

// Hangup sends CANCEL (outbound, unanswered) or BYE.
func (c *session) Hangup(ctx context.Context) error {
	c.mu.Lock()
	answered := c.answered
	c.mu.Unlock()
	var err error
	switch {
	case c.client != nil && !answered:
		c.cancel() // WaitAnswer turns this into CANCEL
	case c.client != nil:
		c.dlgMu.Lock()
		err = c.client.Bye(ctx)
		c.dlgMu.Unlock()
	case c.server != nil && answered:
		c.dlgMu.Lock()
		err = c.server.Bye(ctx)
		c.dlgMu.Unlock()
	case c.server != nil:
		err = c.respond(603, "Decline")
	}
	c.emit(phone.SessionEvent{Kind: phone.SessEnded, Cause: phone.CauseNormal, Reason: "local hangup"})
	return err
}

// request sends an in-dialog request and waits for its final response.
func (c *session) request(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	c.dlgMu.Lock()
	defer c.dlgMu.Unlock()
	var res *sip.Response
	var err error
	if c.client != nil {
		req.Recipient = remoteTarget(c.client.InviteResponse.Contact(), req.Recipient)
		res, err = c.client.Do(ctx, req)
	} else {
		req.Recipient = remoteTarget(c.server.InviteRequest.Contact(), req.Recipient)
		res, err = c.server.Do(ctx, req)
	}
	if err == nil && res == nil {
		err = errors.New("no response: the transaction ended")
	}
	return res, err
}

func remoteTarget(h *sip.ContactHeader, fallback sip.Uri) sip.Uri {
	if h == nil {
		return fallback
	}
	return *h.Address.Clone()
}

// ack sends the ACK for a 2xx to our re-INVITE.
func (c *session) ack(res *sip.Response) {
	ack := sip.NewRequest(sip.ACK, sip.Uri{})
	cseq := &sip.CSeqHeader{SeqNo: res.CSeq().SeqNo, MethodName: sip.ACK}
	ack.AppendHeader(cseq)
	c.dlgMu.Lock()
	defer c.dlgMu.Unlock()
	var err error
	if c.client != nil {
		ack.Recipient = remoteTarget(c.client.InviteResponse.Contact(), ack.Recipient)
		err = c.client.WriteRequest(ack)
	} else {
		ack.Recipient = remoteTarget(c.server.InviteRequest.Contact(), ack.Recipient)
		err = c.server.WriteRequest(ack)
	}
	if err != nil {
		c.sig.log.Warn("ACK for re-INVITE failed", "call", c.callID, "err", err)
	}
}

// Hold re-INVITEs with a=sendonly (on) or a=sendrecv.
func (c *session) Hold(ctx context.Context, on bool) error {
	dir := media.SendRecv
	if on {
		dir = media.SendOnly
	}
	offer, err := c.media.Reoffer(dir)
	if err != nil {
		return err
	}
	req := sip.NewRequest(sip.INVITE, sip.Uri{})
	req.SetBody(offer)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	res, err := c.request(ctx, req)
	if err != nil {
		return err
	}
	if !res.IsSuccess() {
		return fmt.Errorf("peer refused: %d %s", res.StatusCode, res.Reason)
	}
	c.ack(res)
	if len(res.Body()) > 0 {
		if err := c.media.SetAnswer(res.Body()); err != nil {
			return err
		}
	}
	return nil
}

// SendDTMF sends digits by RFC 4733 or, when the far end has no
// telephone-event (or info is asked for), SIP INFO application/dtmf-relay.
func (c *session) SendDTMF(ctx context.Context, digits string, info bool) error {
	if !info {
		err := c.media.SendDTMF(ctx, digits)
		if err == nil || !errors.Is(err, media.ErrNoTelephoneEvent) {
			return err
		}
	}
	for _, d := range digits {
		req := sip.NewRequest(sip.INFO, sip.Uri{})
		req.SetBody([]byte(fmt.Sprintf("Signal=%c\r\nDuration=160\r\n", d)))
		req.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
		res, err := c.request(ctx, req)
		if err != nil {
			return err
		}
		if !res.IsSuccess() {
			return fmt.Errorf("INFO refused: %d %s", res.StatusCode, res.Reason)
		}
	}
	return nil
}
