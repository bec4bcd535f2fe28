package webrtc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"switchboard/phone"
	"switchboard/phone/ringcentral"
	"switchboard/phone/sipmsg"
)

// session is one call: a sipgo dialog over the account's websocket and a
// PeerConnection. It implements phone.Session.
type session struct {
	s       *Signaler
	l       *line
	callID  string
	media   *mediaSession
	handler phone.SessionHandler
	ready   chan struct{} // closed once handler is set
	settled chan struct{} // inbound: closed once a final response went out
	settle  sync.Once

	mu       sync.Mutex
	client   *sipgo.DialogClientSession
	server   *sipgo.DialogServerSession
	answered bool
	ended    bool
	// lateOffer: the INVITE had no SDP; our offer goes in the 200 and the
	// answer comes in the ACK (RingCentral queue pickup, ringcentral.md 2.4).
	lateOffer bool
	audio     phone.AudioPair
	cancel    context.CancelFunc
	// rc is RingCentral's call control (nil on other providers).
	rc    *ringcentral.Control
	dlgMu sync.Mutex // serialises in-dialog requests and SDP changes
}

var _ phone.Session = (*session)(nil)

// SIPCallID returns the dialog's Call-ID.
func (c *session) SIPCallID() string { return c.callID }

func (c *session) emit(ev phone.SessionEvent) {
	<-c.ready
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
		if c.cancel != nil {
			c.cancel() // the outbound INVITE's context lives until the call ends
		}
		c.media.close()
		c.s.forget(c.callID)
		c.settleNow()
	}
	h(ev)
}

func (c *session) settleNow() {
	if c.settled != nil {
		c.settle.Do(func() { close(c.settled) })
	}
}

func (s *Signaler) remember(c *session) {
	s.mu.Lock()
	s.sessions[c.callID] = c
	s.mu.Unlock()
}

func (s *Signaler) forget(id string) {
	s.mu.Lock()
	delete(s.sessions, id)
	s.mu.Unlock()
}

func (s *Signaler) lookup(req *sip.Request) *session {
	if req.CallID() == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[req.CallID().Value()]
}

// line returns the registered line of an account.
func (s *Signaler) line(id string) *line {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lines[id]
}

// startMedia starts the audio loops and reports DTMF from the far end.
func (c *session) startMedia() {
	c.mu.Lock()
	a := c.audio
	c.mu.Unlock()
	c.media.start(a)
	go func() { // owned by the session: ends with the media context
		for {
			select {
			case d := <-c.media.dtmfOut:
				c.emit(phone.SessionEvent{Kind: phone.SessDTMF, Digit: d})
			case <-c.media.ctx.Done():
				return
			}
		}
	}()
}

// ---- outbound ----

// Dial places a call over the account's websocket. The account must be
// registering or registered (its websocket belongs to Register).
func (s *Signaler) Dial(ctx context.Context, req phone.DialRequest, h phone.SessionHandler) (phone.Session, error) {
	if req.Account == nil {
		return nil, errors.New("WebRTC calls need a ws/wss account")
	}
	l := s.line(req.Account.ID)
	if l == nil {
		return nil, errors.New("the account is not connected to its WebRTC server yet")
	}
	recipient, err := dialURI(req.Target, l.t.domain)
	if err != nil {
		return nil, err
	}
	c := &session{s: s, l: l, handler: h, audio: req.Audio, ready: make(chan struct{}), callID: randomToken(12)}
	close(c.ready)
	c.setupRC("")
	if c.media, err = newMediaSession(s.mediaConfigFor(req.Account, c.callID)); err != nil {
		return nil, fmt.Errorf("media: %w", err)
	}
	offer, err := c.media.offer(ctx, false)
	if err != nil {
		c.media.close()
		return nil, fmt.Errorf("media: %w", err)
	}
	invite := sip.NewRequest(sip.INVITE, recipient)
	invite.SetBody(offer)
	invite.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	from := &sip.FromHeader{DisplayName: req.Account.DisplayName, Address: l.aor(), Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	invite.AppendHeader(from)
	invite.AppendHeader(sip.NewHeader("Allow", allowed))
	if req.Replaces != nil {
		invite.AppendHeader(sip.NewHeader("Replaces", sipmsg.ReplacesValue(*req.Replaces)))
	}
	if req.ReferredBy != "" {
		invite.AppendHeader(sip.NewHeader("Referred-By", "<"+req.ReferredBy+">"))
	}
	id := sip.CallIDHeader(c.callID)
	invite.AppendHeader(&id)
	l.prepare(invite)
	dua := &sipgo.DialogUA{Client: l.client, ContactHDR: l.dialogContact()}
	callCtx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	s.remember(c)
	dlg, err := dua.WriteInvite(callCtx, invite)
	if err != nil {
		cancel()
		s.forget(c.callID)
		c.media.close()
		return nil, fmt.Errorf("send INVITE: %s", netReason(err))
	}
	c.client = dlg
	go c.waitAnswer(callCtx)
	return c, nil
}

// dialContact is our Contact in dialogs (no +sip.instance).
func (l *line) dialogContact() sip.ContactHeader {
	c := sip.ContactHeader{Address: *l.contact.Address.Clone()}
	return c
}

// dialURI turns what the user typed into a Request-URI in domain.
func dialURI(target, domain string) (sip.Uri, error) {
	t := strings.TrimSpace(target)
	if t == "" {
		return sip.Uri{}, errors.New("nothing to dial")
	}
	if !strings.HasPrefix(t, "sip:") && !strings.HasPrefix(t, "sips:") {
		if strings.Contains(t, "@") {
			t = "sip:" + t
		} else {
			t = "sip:" + t + "@" + domain
		}
	}
	var u sip.Uri
	if err := sip.ParseUri(t, &u); err != nil {
		return sip.Uri{}, fmt.Errorf("cannot dial %q: %w", target, err)
	}
	return u, nil
}

func (c *session) waitAnswer(ctx context.Context) {
	dlg := c.client
	early := false
	err := dlg.WaitAnswer(ctx, sipgo.AnswerOptions{
		Username: c.l.t.authUser, Password: c.l.pw,
		OnResponse: func(res *sip.Response) error {
			if res.StatusCode > 100 && res.StatusCode < 200 {
				withSDP := false
				if len(res.Body()) > 0 && !early {
					if err := c.media.setAnswer(res.Body()); err == nil {
						early, withSDP = true, true
						c.startMedia()
					} else {
						c.s.log.Warn("early SDP refused", "call", c.callID, "err", err)
					}
				}
				c.emit(phone.SessionEvent{Kind: phone.SessProgress, Code: res.StatusCode, Reason: res.Reason, EarlyMedia: withSDP})
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
	if !early {
		if err := c.media.setAnswer(dlg.InviteResponse.Body()); err != nil {
			actx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = c.ackInvite(actx)
			_ = c.bye(actx)
			c.emit(phone.SessionEvent{Kind: phone.SessEnded, Cause: phone.CauseMedia, Reason: "call dropped: " + err.Error()})
			return
		}
	}
	if err := c.ackInvite(ctx); err != nil {
		c.s.log.Warn("ACK failed", "call", c.callID, "err", err)
	}
	c.mu.Lock()
	c.answered = true
	c.mu.Unlock()
	c.startMedia()
	c.emit(phone.SessionEvent{Kind: phone.SessAnswered, Code: 200, Codec: c.media.codecName()})
}

// ackInvite acknowledges the 2xx to our INVITE over the account's websocket.
func (c *session) ackInvite(ctx context.Context) error {
	dlg := c.client
	ack := sip.NewRequest(sip.ACK, remoteTarget(dlg.InviteResponse.Contact(), dlg.InviteRequest.Recipient))
	c.l.prepare(ack)
	return dlg.WriteAck(ctx, ack)
}

// ---- inbound ----

// routes installs request handlers on the server of a line's UA.
func (s *Signaler) routes(srv *sipgo.Server, l *line) {
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) { s.onInvite(l, req, tx) })
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		if c := s.lookup(req); c != nil && c.server != nil {
			_ = c.server.ReadAck(req, tx)
			c.mu.Lock()
			late := c.lateOffer
			c.lateOffer = false
			c.mu.Unlock()
			if late {
				if err := c.media.setAnswer(req.Body()); err != nil {
					c.s.log.Warn("late-offer call: answer in ACK refused", "call", c.callID, "err", err)
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					_ = c.bye(ctx)
					cancel()
					c.emit(phone.SessionEvent{Kind: phone.SessEnded, Cause: phone.CauseMedia, Reason: "call dropped: " + err.Error()})
				}
			}
		}
	})
	srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {
		respond(tx, req, 481, "Call/Transaction Does Not Exist", nil)
	})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		c := s.lookup(req)
		if c == nil {
			respond(tx, req, 481, "Call/Transaction Does Not Exist", nil)
			return
		}
		respond(tx, req, 200, "OK", nil)
		c.emit(phone.SessionEvent{Kind: phone.SessEnded, Cause: phone.CauseNormal, Reason: "remote hangup"})
	})
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		respond(tx, req, 200, "OK", nil, sip.NewHeader("Allow", allowed))
	})
	srv.OnInfo(s.onInfo)
	srv.OnRefer(s.onRefer)
	srv.OnMessage(func(req *sip.Request, tx sip.ServerTransaction) {
		// Only our server reaches this socket; answer everything (RingCentral
		// drops the websocket otherwise).
		respond(tx, req, 200, "OK", nil)
		if c := s.lookup(req); c != nil {
			c.emit(phone.SessionEvent{Kind: phone.SessMessage, Text: string(req.Body())})
		}
	})
	srv.OnNotify(s.onNotify)
	srv.OnUpdate(func(req *sip.Request, tx sip.ServerTransaction) { respond(tx, req, 200, "OK", nil) })
	srv.OnNoRoute(func(req *sip.Request, tx sip.ServerTransaction) {
		respond(tx, req, 405, "Method Not Allowed", nil, sip.NewHeader("Allow", allowed))
	})
}

func respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, body []byte, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, body)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	_ = tx.Respond(res)
}

func (s *Signaler) onInvite(l *line, req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil {
		if tag, _ := to.Params.Get("tag"); tag != "" {
			s.onReInvite(req, tx)
			return
		}
	}
	var replaced *session
	if h := req.GetHeader("Replaces"); h != nil {
		m, err := s.matchReplaces(h.Value())
		if err != nil {
			respond(tx, req, 400, "Bad Request", nil, sip.NewHeader("Warning", `399 switchboard "bad Replaces header"`))
			return
		}
		if m == nil {
			respond(tx, req, 481, "Call/Transaction Does Not Exist", nil)
			return
		}
		replaced = m
	}
	s.mu.Lock()
	onIncoming := s.onIncoming
	s.mu.Unlock()
	if onIncoming == nil {
		respond(tx, req, 480, "Temporarily Unavailable", nil)
		return
	}
	c := &session{s: s, l: l, callID: req.CallID().Value(), ready: make(chan struct{}), settled: make(chan struct{}),
		lateOffer: len(req.Body()) == 0}
	if h := req.GetHeader("P-rc"); h != nil {
		c.setupRC(h.Value())
	} else {
		c.setupRC("")
	}
	acct := l.acct
	var err error
	if c.media, err = newMediaSession(s.mediaConfigFor(&acct, c.callID)); err != nil {
		s.log.Error("media for inbound call", "err", err)
		respond(tx, req, 500, "Server Internal Error", nil)
		return
	}
	// Check the offer now so a bad SDP is refused before ringing.
	if c.lateOffer {
		// nothing to check: we offer in the 200
	} else if err := c.media.setOffer(req.Body()); err != nil {
		c.media.close()
		respond(tx, req, 488, "Not Acceptable Here", nil, sip.NewHeader("Warning", `399 switchboard "`+strings.ReplaceAll(err.Error(), `"`, `'`)+`"`))
		return
	}
	dua := &sipgo.DialogUA{Client: l.client, ContactHDR: l.dialogContact()}
	dlg, err := dua.ReadInvite(req, tx)
	if err != nil {
		c.media.close()
		respond(tx, req, 400, "Bad Request", nil)
		return
	}
	c.server = dlg
	s.remember(c)
	in := phone.Incoming{Session: c, AccountID: l.acct.ID, AutoAnswerAfter: sipmsg.AnswerAfter(req)}
	if replaced != nil {
		in.Replaces = replaced
	}
	if rb := req.GetHeader("Referred-By"); rb != nil {
		in.ReferredBy = strings.Trim(strings.TrimSpace(rb.Value()), "<>")
	}
	if from := req.From(); from != nil {
		in.FromName = from.DisplayName
		u := from.Address
		in.From = (&sip.Uri{Scheme: u.Scheme, User: u.User, Host: u.Host, Port: u.Port}).String()
	}
	h := onIncoming(in)
	c.mu.Lock()
	c.handler = h
	c.mu.Unlock()
	close(c.ready)
	_ = c.respond(180, "Ringing")
	if c.rc != nil && c.rc.PRc != nil {
		// RingCentral: confirm we got the call, or "to voicemail" breaks
		// (ringcentral.md 2.4). Through the Control, so later agent
		// commands (voicemail, forward, reply) wait for it.
		go func() { // ends with the INVITE's dialog context or 10 s
			ctx, cancel := context.WithTimeout(dlg.Context(), 10*time.Second)
			defer cancel()
			if err := c.rc.Agent(ctx, "confirm", "", ""); err != nil {
				l.log.Warn("RingCentral receive-confirm failed", "call", c.callID, "err", err)
			}
		}()
	}
	// sipgo ends the INVITE transaction when this handler returns.
	select {
	case <-c.settled:
	case <-dlg.Context().Done():
		c.emit(phone.SessionEvent{Kind: phone.SessEnded, Code: 487, Cause: phone.CauseMissed, Reason: "caller cancelled"})
	case <-time.After(3 * time.Minute):
		_ = c.respond(480, "Temporarily Unavailable")
		c.emit(phone.SessionEvent{Kind: phone.SessEnded, Code: 480, Cause: phone.CauseMissed, Reason: "not answered"})
	}
}

func (c *session) respond(code int, reason string) error {
	c.dlgMu.Lock()
	defer c.dlgMu.Unlock()
	return c.server.Respond(code, reason, nil)
}

// onReInvite answers a re-INVITE (hold, resume, ICE restart from the far end).
func (s *Signaler) onReInvite(req *sip.Request, tx sip.ServerTransaction) {
	c := s.lookup(req)
	if c == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist", nil)
		return
	}
	if len(req.Body()) == 0 {
		respond(tx, req, 488, "Not Acceptable Here", nil)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.dlgMu.Lock()
	answer, err := c.media.answer(ctx, req.Body())
	c.dlgMu.Unlock()
	if err != nil {
		s.log.Warn("re-INVITE refused", "call", c.callID, "err", err)
		respond(tx, req, 488, "Not Acceptable Here", nil, sip.NewHeader("Warning", `399 switchboard "`+strings.ReplaceAll(err.Error(), `"`, `'`)+`"`))
		return
	}
	contact := c.l.dialogContact()
	respond(tx, req, 200, "OK", answer, sip.NewHeader("Content-Type", "application/sdp"), &contact)
	dir := sdpDirection(req.Body())
	s.log.Debug("re-INVITE answered", "call", c.callID, "remote_direction", dir)
	c.emit(phone.SessionEvent{Kind: phone.SessRemoteHold, Hold: dir == "sendonly" || dir == "inactive"})
}

// sdpDirection returns the first direction attribute of an SDP (sendrecv when none).
func sdpDirection(b []byte) string {
	for _, line := range strings.Split(string(b), "\n") {
		switch v := strings.TrimSpace(line); v {
		case "a=sendonly", "a=recvonly", "a=inactive", "a=sendrecv":
			return v[2:]
		}
	}
	return "sendrecv"
}

// ---- call actions ----

// Answer sends 200 OK with our SDP answer and starts media.
func (c *session) Answer(ctx context.Context, a phone.AudioPair) error {
	if c.server == nil {
		return errors.New("not an inbound call")
	}
	c.mu.Lock()
	c.audio = a
	c.mu.Unlock()
	c.mu.Lock()
	late := c.lateOffer
	c.mu.Unlock()
	var answer []byte
	var err error
	if late {
		answer, err = c.media.offer(ctx, false)
	} else {
		answer, err = c.media.createAnswer(ctx)
	}
	if err != nil {
		_ = c.respond(488, "Not Acceptable Here")
		c.emit(phone.SessionEvent{Kind: phone.SessEnded, Cause: phone.CauseMedia, Reason: err.Error()})
		return err
	}
	res := sip.NewSDPResponseFromRequest(c.server.InviteRequest, answer)
	res.AppendHeader(sip.NewHeader("Allow", allowed))
	c.dlgMu.Lock()
	err = c.server.WriteResponse(res)
	c.dlgMu.Unlock()
	if err != nil {
		c.emit(phone.SessionEvent{Kind: phone.SessEnded, Cause: phone.CauseError, Reason: "answer: " + err.Error()})
		return err
	}
	c.mu.Lock()
	c.answered = true
	c.mu.Unlock()
	c.settleNow()
	c.startMedia()
	c.emit(phone.SessionEvent{Kind: phone.SessAnswered, Code: 200, Codec: c.media.codecName()})
	return nil
}

// Reject refuses an inbound call with code.
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

// Hangup sends CANCEL before the answer and BYE after it.
func (c *session) Hangup(ctx context.Context) error {
	c.mu.Lock()
	answered := c.answered
	c.mu.Unlock()
	var err error
	switch {
	case c.client != nil && !answered:
		c.cancel()
	case answered:
		err = c.bye(ctx)
	case c.server != nil:
		err = c.respond(603, "Decline")
	}
	if err != nil {
		c.s.log.Warn("hangup", "call", c.callID, "err", err)
	}
	c.emit(phone.SessionEvent{Kind: phone.SessEnded, Cause: phone.CauseNormal, Reason: "local hangup"})
	return err
}

// bye ends the dialog with a BYE over the account's websocket.
func (c *session) bye(ctx context.Context) error {
	c.dlgMu.Lock()
	defer c.dlgMu.Unlock()
	if c.client != nil {
		bye := sip.NewRequest(sip.BYE, remoteTarget(c.client.InviteResponse.Contact(), c.client.InviteRequest.Recipient))
		c.l.prepare(bye)
		return c.client.WriteBye(ctx, bye)
	}
	bye := sip.NewRequest(sip.BYE, remoteTarget(c.server.InviteRequest.Contact(), c.server.InviteRequest.Recipient))
	c.l.prepare(bye)
	return c.server.WriteBye(ctx, bye)
}

// request sends an in-dialog request and waits for its final response.
// Like every request of a WebRTC client it goes over the account's
// websocket (RFC 7118 clients have no other flow; RingCentral's edge routes
// in-dialog requests by Call-ID and tags).
func (c *session) request(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	c.l.prepare(req)
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
	ack.AppendHeader(&sip.CSeqHeader{SeqNo: res.CSeq().SeqNo, MethodName: sip.ACK})
	c.l.prepare(ack)
	var err error
	if c.client != nil {
		ack.Recipient = remoteTarget(c.client.InviteResponse.Contact(), ack.Recipient)
		err = c.client.WriteRequest(ack)
	} else {
		ack.Recipient = remoteTarget(c.server.InviteRequest.Contact(), ack.Recipient)
		err = c.server.WriteRequest(ack)
	}
	if err != nil {
		c.s.log.Warn("ACK for re-INVITE failed", "call", c.callID, "err", err)
	}
}

// reinvite sends a new offer in the dialog: a=sendonly when hold, and new
// ICE credentials when iceRestart.
func (c *session) reinvite(ctx context.Context, hold, iceRestart bool) error {
	c.dlgMu.Lock()
	defer c.dlgMu.Unlock()
	offer, err := c.media.offer(ctx, iceRestart)
	if err != nil {
		return err
	}
	if hold {
		offer = []byte(strings.ReplaceAll(string(offer), "a=sendrecv", "a=sendonly"))
	}
	req := sip.NewRequest(sip.INVITE, sip.Uri{})
	req.SetBody(offer)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	res, err := c.request(ctx, req)
	if err != nil {
		c.media.rollback()
		return err
	}
	if !res.IsSuccess() {
		c.media.rollback()
		return fmt.Errorf("peer refused: %d %s", res.StatusCode, res.Reason)
	}
	c.ack(res)
	if err := c.media.setAnswer(res.Body()); err != nil {
		return err
	}
	c.media.setHold(hold)
	return nil
}

// Hold re-INVITEs with a=sendonly (on) or a=sendrecv; while held we send silence.
func (c *session) Hold(ctx context.Context, on bool) error { return c.reinvite(ctx, on, false) }

// SendDTMF sends digits as RFC 4733 events, or SIP INFO when the far end
// has no telephone-event or info is true.
func (c *session) SendDTMF(ctx context.Context, digits string, info bool) error {
	if !info {
		err := c.media.sendDTMF(ctx, digits)
		if err == nil || !strings.Contains(err.Error(), "telephone-event") {
			return err
		}
	}
	for _, d := range digits {
		req := sip.NewRequest(sip.INFO, sip.Uri{})
		req.SetBody([]byte(fmt.Sprintf("Signal=%c\r\nDuration=160\r\n", d)))
		req.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
		c.dlgMu.Lock()
		res, err := c.request(ctx, req)
		c.dlgMu.Unlock()
		if err != nil {
			return err
		}
		if !res.IsSuccess() {
			return fmt.Errorf("INFO refused: %d %s", res.StatusCode, res.Reason)
		}
	}
	return nil
}

// SetAudio swaps what the call reads and writes.
func (c *session) SetAudio(a phone.AudioPair) {
	c.mu.Lock()
	c.audio = a
	c.mu.Unlock()
	c.media.setAudio(a)
}

// Stats returns media figures.
func (c *session) Stats() phone.CallStats { return c.media.stats() }

// restartCalls re-INVITEs the answered calls of l with an ICE restart
// after its websocket came back, so media follows the new connection.
func (s *Signaler) restartCalls(ctx context.Context, l *line) {
	s.mu.Lock()
	var calls []*session
	for _, c := range s.sessions {
		c.mu.Lock()
		if c.l == l && c.answered && !c.ended {
			calls = append(calls, c)
		}
		c.mu.Unlock()
	}
	s.mu.Unlock()
	for _, c := range calls {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		hold := c.media.held()
		if err := c.reinvite(rctx, hold, true); err != nil {
			s.log.Warn("re-INVITE after reconnect failed", "call", c.callID, "err", err)
		} else {
			s.log.Info("call resumed after reconnect (ICE restart)", "call", c.callID)
		}
		cancel()
	}
}
