package sip

import (
	"context"
	"net"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"switchboard/phone"
	"switchboard/phone/media"
	"switchboard/phone/sipmsg"
)

func (s *Signaler) remember(c *session) {
	s.mu.Lock()
	s.sessions[c.callID] = c
	s.mu.Unlock()
}

func (s *Signaler) forget(callID string) {
	s.mu.Lock()
	delete(s.sessions, callID)
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

func respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, body []byte, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, body)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	_ = tx.Respond(res)
}

// routes installs the request handlers on the server of a UA.
func (s *Signaler) routes(srv *sipgo.Server) {
	srv.OnInvite(s.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		if c := s.lookup(req); c != nil && c.server != nil {
			_ = c.server.ReadAck(req, tx)
		}
	})
	srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {
		// sipgo matches CANCEL to the INVITE transaction and answers it; if it
		// reaches us there was no matching transaction.
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
		respond(tx, req, 200, "OK", nil, sip.NewHeader("Allow", allowed), sip.NewHeader("Accept", "application/sdp"))
	})
	srv.OnInfo(func(req *sip.Request, tx sip.ServerTransaction) {
		c := s.lookup(req)
		if c == nil {
			// Out of dialog: our registrar's INFO gets a 200 (some
			// providers send keep-alive or control INFOs), anyone else 481.
			if acc, ok := s.fromTrusted(req); ok && acc != "" {
				respond(tx, req, 200, "OK", nil)
				return
			}
			respond(tx, req, 481, "Call/Transaction Does Not Exist", nil)
			return
		}
		ct := ""
		if h := req.ContentType(); h != nil {
			ct = strings.ToLower(h.Value())
		}
		if strings.HasPrefix(ct, "application/dtmf") {
			// A digit is reported before our 200: the sender's next INFO
			// (the next digit) waits for it, so digits keep their order.
			if d, ok := sipmsg.ParseDTMFRelay(req.Body()); ok {
				c.emit(phone.SessionEvent{Kind: phone.SessDTMF, Digit: d})
			}
			respond(tx, req, 200, "OK", nil)
			return
		}
		// Anything else is answered first: a command result may make us
		// hang up, and our BYE must follow the 200.
		respond(tx, req, 200, "OK", nil)
		if c.rc != nil && c.rc.HandleInfo(req.Body()) {
			// a result of our RingCentral command: delivered to its caller
		} else if len(req.Body()) > 0 {
			c.emit(phone.SessionEvent{Kind: phone.SessInfo, ContentType: ct, Body: req.Body()})
		}
	})
	srv.OnMessage(func(req *sip.Request, tx sip.ServerTransaction) {
		if _, ok := s.fromTrusted(req); !ok {
			respond(tx, req, 403, "Forbidden", nil)
			return
		}
		respond(tx, req, 200, "OK", nil)
		if c := s.lookup(req); c != nil {
			c.emit(phone.SessionEvent{Kind: phone.SessMessage, Text: string(req.Body())})
		}
	})
	srv.OnRequest(sip.REFER, s.onRefer)
	for _, m := range []sip.RequestMethod{sip.NOTIFY, sip.UPDATE} {
		srv.OnRequest(m, func(req *sip.Request, tx sip.ServerTransaction) {
			if c := s.lookup(req); c != nil && m == sip.NOTIFY {
				if ev := req.GetHeader("Event"); ev != nil && strings.HasPrefix(strings.ToLower(strings.TrimSpace(ev.Value())), "refer") {
					// Answer first: we hang up on a final 200, and our BYE
					// must follow the 200 to the NOTIFY. If the far end hangs
					// up first, the core counts that as done (phone.go).
					respond(tx, req, 200, "OK", nil)
					s.onReferNotify(c, req)
					return
				}
			}
			if c := s.lookup(req); c == nil {
				if _, ok := s.fromTrusted(req); !ok {
					respond(tx, req, 403, "Forbidden", nil)
					return
				}
			}
			if m == sip.UPDATE && len(req.Body()) > 0 {
				if c := s.lookup(req); c != nil {
					if ans, err := c.media.UpdateRemote(req.Body()); err == nil {
						respond(tx, req, 200, "OK", ans, sip.NewHeader("Content-Type", "application/sdp"))
						return
					}
				}
			}
			respond(tx, req, 200, "OK", nil)
		})
	}
	srv.OnNoRoute(func(req *sip.Request, tx sip.ServerTransaction) {
		respond(tx, req, 405, "Method Not Allowed", nil, sip.NewHeader("Allow", allowed))
	})
}

// onInvite handles new calls and re-INVITEs.
func (s *Signaler) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil {
		if tag, _ := to.Params.Get("tag"); tag != "" {
			s.onReInvite(req, tx)
			return
		}
	}
	accountID, ok := s.fromTrusted(req)
	if !ok {
		s.log.Warn("refused INVITE from an address that is not our registrar", "source", req.Source())
		respond(tx, req, 403, "Forbidden", nil)
		return
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
	if len(req.Body()) == 0 {
		// Late offer (INVITE without SDP) is not supported yet.
		respond(tx, req, 488, "Not Acceptable Here", nil, sip.NewHeader("Warning", `399 switchboard "offer required"`))
		return
	}
	c := &session{sig: s, callID: req.CallID().Value(), ready: make(chan struct{}), settled: make(chan struct{}),
		acct: s.account(accountID)}
	if h := req.GetHeader("P-rc"); h != nil {
		c.setupRC(h.Value())
	} else {
		c.setupRC("")
	}
	if err := c.newMedia(context.Background(), sourceHost(req)); err != nil {
		s.log.Error("media for inbound call", "err", err)
		respond(tx, req, 500, "Server Internal Error", nil)
		return
	}
	// Check the offer now so a bad SDP is refused before ringing.
	if err := c.media.CheckOffer(req.Body()); err != nil {
		c.media.Close()
		respond(tx, req, 488, "Not Acceptable Here", nil, sip.NewHeader("Warning", `399 switchboard "`+strings.ReplaceAll(err.Error(), `"`, `'`)+`"`))
		return
	}
	contact := s.contactOn(req, tx)
	client := s.client
	if req.Transport() != "UDP" {
		// In-dialog requests must go out through the UA that holds the
		// connection: the account's own for TLS.
		client = s.stream
		s.mu.Lock()
		if c, ok := s.clients[accountID]; ok {
			client = c
		}
		s.mu.Unlock()
	}
	dua := &sipgo.DialogUA{Client: client, ContactHDR: contact}
	dlg, err := dua.ReadInvite(req, tx)
	if err != nil {
		c.media.Close()
		respond(tx, req, 400, "Bad Request", nil)
		return
	}
	c.server = dlg
	s.remember(c)
	from := req.From()
	in := phone.Incoming{Session: c, AccountID: accountID, AutoAnswerAfter: sipmsg.AnswerAfter(req)}
	if replaced != nil {
		in.Replaces = replaced
	}
	if rb := req.GetHeader("Referred-By"); rb != nil {
		in.ReferredBy = strings.Trim(strings.TrimSpace(rb.Value()), "<>")
	}
	if from != nil {
		in.FromName = from.DisplayName
		u := from.Address
		in.From = (&sip.Uri{Scheme: u.Scheme, User: u.User, Host: u.Host, Port: u.Port}).String()
	}
	h := onIncoming(in)
	c.mu.Lock()
	c.handler = h
	c.mu.Unlock()
	close(c.ready)
	_ = c.respond(100, "Trying")
	_ = c.respond(180, "Ringing")
	if c.rc != nil && c.rc.PRc != nil {
		// RingCentral: confirm receipt, or "to voicemail" will not work
		// (ringcentral.md 2.4).
		go func() {
			ctx, cancel := context.WithTimeout(dlg.Context(), 10*time.Second)
			defer cancel()
			if err := c.rc.Agent(ctx, "confirm", "", ""); err != nil {
				s.log.Warn("RingCentral receive-confirm failed", "call", c.callID, "err", err)
			}
		}()
	}
	// sipgo ends the INVITE transaction when this handler returns, so stay
	// here until we have sent a final response or the caller cancelled.
	select {
	case <-c.settled:
	case <-dlg.Context().Done():
		c.emit(phone.SessionEvent{Kind: phone.SessEnded, Code: 487, Cause: phone.CauseCancelled, Reason: "caller cancelled"})
	case <-time.After(3 * time.Minute):
		_ = c.respond(480, "Temporarily Unavailable")
		c.emit(phone.SessionEvent{Kind: phone.SessEnded, Code: 480, Cause: phone.CauseMissed, Reason: "not answered"})
	}
}

func sourceHost(req *sip.Request) string {
	h, _, _ := strings.Cut(req.Source(), ":")
	if strings.HasPrefix(req.Source(), "[") {
		h = strings.Trim(strings.SplitN(req.Source(), "]", 2)[0], "[")
	}
	return h
}

// onReInvite answers a re-INVITE in an existing dialog (hold, resume,
// session refresh, codec change).
func (s *Signaler) onReInvite(req *sip.Request, tx sip.ServerTransaction) {
	c := s.lookup(req)
	if c == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist", nil)
		return
	}
	body := req.Body()
	if len(body) == 0 {
		// Offer-less re-INVITE: offer our current SDP in the 200.
		offer, err := c.media.Reoffer(c.media.LocalDirection())
		if err != nil {
			respond(tx, req, 500, "Server Internal Error", nil)
			return
		}
		contact := s.contactOn(req, tx)
		respond(tx, req, 200, "OK", offer, sip.NewHeader("Content-Type", "application/sdp"), &contact)
		return
	}
	answer, err := c.media.UpdateRemote(body)
	if err != nil {
		respond(tx, req, 488, "Not Acceptable Here", nil)
		return
	}
	contact := s.contactOn(req, tx)
	respond(tx, req, 200, "OK", answer, sip.NewHeader("Content-Type", "application/sdp"), &contact)
	dir := c.media.RemoteDirection()
	hold := dir == media.SendOnly || dir == media.Inactive
	c.emit(phone.SessionEvent{Kind: phone.SessRemoteHold, Hold: hold})
}

// contactOn is our Contact for a dialog created by req: the listening
// address for UDP, and for TCP/TLS the local end of the connection req
// arrived on, so in-dialog requests come back over it.
func (s *Signaler) contactOn(req *sip.Request, tx sip.ServerTransaction) sip.ContactHeader {
	c := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "switchboard", Host: s.localIPFor(sourceHost(req)), Port: int(s.listen.Port())}}
	if req.Transport() == "UDP" {
		return c
	}
	if stx, ok := tx.(interface{ Connection() sip.Connection }); ok && stx.Connection() != nil {
		if a, ok := stx.Connection().LocalAddr().(*net.TCPAddr); ok {
			c.Address.Host, c.Address.Port = a.IP.String(), a.Port
		}
	}
	c.Address.UriParams = sip.NewParams()
	c.Address.UriParams.Add("transport", strings.ToLower(req.Transport()))
	return c
}
