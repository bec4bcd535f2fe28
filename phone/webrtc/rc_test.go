package webrtc_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/ice/v4"
	pw "github.com/pion/webrtc/v4"

	"switchboard/phone"
)

// rcEdge is a scripted RingCentral WebSocket edge (ringcentral.md 2.2-2.7):
// it challenges REGISTER, grants expires in the Contact, answers outbound
// INVITEs with 183 then an immediate 200, can send an inbound INVITE with a
// P-rc header, and records what the client sent. Its SDP is RC's: no a=mid,
// no BUNDLE. Media answers come from a pion PeerConnection on loopback.
type rcEdge struct {
	t      *testing.T
	addr   string
	ua     *sipgo.UserAgent
	client *sipgo.Client
	refuse int // respond to REGISTER with this code (e.g. 603) when set
	// redirect, when set, answers INVITEs for any other user with 302 to
	// this user.
	redirect string
	garbage  bool // answer INVITEs with a malformed SDP

	mu        sync.Mutex
	registers []*sip.Request
	messages  []*sip.Request
	regSource string
	gotMsg    chan *sip.Request
	gotBye    chan *sip.Request
	gotInfo   chan *sip.Request
	connected chan struct{}
	invite    *sip.Request // the last INVITE answered (its To carries our tag)
}

const rcAuthID = "802398808016"

func startRCEdge(t *testing.T) *rcEdge {
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("rc-edge"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	e := &rcEdge{t: t, ua: ua, gotMsg: make(chan *sip.Request, 8), gotBye: make(chan *sip.Request, 8),
		gotInfo: make(chan *sip.Request, 8), connected: make(chan struct{}, 4)}
	if e.client, err = sipgo.NewClient(ua); err != nil {
		t.Fatal(err)
	}
	srv.OnRegister(e.onRegister)
	srv.OnMessage(func(req *sip.Request, tx sip.ServerTransaction) {
		e.mu.Lock()
		e.messages = append(e.messages, req)
		e.mu.Unlock()
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		e.gotMsg <- req
	})
	srv.OnInvite(e.onInvite)
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		e.gotBye <- req
	})
	srv.OnInfo(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		e.gotInfo <- req
	})
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.addr = ln.Addr().String()
	go func() { _ = srv.ServeWS(ln) }() // ends when ln closes
	t.Cleanup(func() { ln.Close(); ua.Close() })
	return e
}

func (e *rcEdge) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	e.mu.Lock()
	e.registers = append(e.registers, req)
	e.regSource = req.Source()
	refuse := e.refuse
	e.mu.Unlock()
	if refuse != 0 {
		_ = tx.Respond(sip.NewResponseFromRequest(req, refuse, "Too Many Contacts", nil))
		return
	}
	auth := req.GetHeader("Authorization")
	if auth == nil {
		res := sip.NewResponseFromRequest(req, 401, "Unauthorized", nil)
		res.AppendHeader(sip.NewHeader("WWW-Authenticate", `Digest realm="sip.ringcentral.test", nonce="0a1b2c3d", algorithm=MD5`))
		_ = tx.Respond(res)
		return
	}
	if !strings.Contains(auth.Value(), `username="`+rcAuthID+`"`) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 403, "Forbidden", nil))
		return
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	if c := req.Contact(); c != nil {
		cc := c.Clone()
		cc.Params.Remove("expires")
		if h := req.GetHeader("Expires"); h != nil && h.Value() == "0" {
			cc.Params.Add("expires", "0")
		} else {
			cc.Params.Add("expires", "60")
		}
		res.AppendHeader(cc)
	}
	_ = tx.Respond(res)
}

// rcPeer is the edge's media side: a pion PeerConnection on loopback.
func (e *rcEdge) rcPeer() *pw.PeerConnection {
	var se pw.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(n string) bool { return n == "lo" })
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() && ip.To4() != nil })
	se.SetNetworkTypes([]pw.NetworkType{pw.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	me := &pw.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		e.t.Fatal(err)
	}
	pc, err := pw.NewAPI(pw.WithMediaEngine(me), pw.WithSettingEngine(se)).NewPeerConnection(pw.Configuration{})
	if err != nil {
		e.t.Fatal(err)
	}
	pc.OnConnectionStateChange(func(s pw.PeerConnectionState) {
		if s == pw.PeerConnectionStateConnected {
			e.connected <- struct{}{}
		}
	})
	e.t.Cleanup(func() { pc.Close() })
	return pc
}

// rcSDP strips what RingCentral's SBC does not send: a=mid and BUNDLE.
func rcSDP(pc *pw.PeerConnection) []byte {
	var out []string
	for _, l := range strings.Split(pc.LocalDescription().SDP, "\r\n") {
		if strings.HasPrefix(l, "a=mid:") || strings.HasPrefix(l, "a=group:BUNDLE") {
			continue
		}
		out = append(out, l)
	}
	return []byte(strings.Join(out, "\r\n"))
}

func gathered(t *testing.T, pc *pw.PeerConnection, d pw.SessionDescription) {
	done := pw.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(d); err != nil {
		t.Error(err)
		return
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Error("edge: ICE gathering did not complete")
	}
}

// onInvite answers an outbound call: 183 with SDP, then 200 at once.
func (e *rcEdge) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	e.mu.Lock()
	garbage, redirect := e.garbage, e.redirect
	e.mu.Unlock()
	if redirect != "" && req.Recipient.User != redirect {
		res := sip.NewResponseFromRequest(req, 302, "Moved Temporarily", nil)
		res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: redirect, Host: "sip.ringcentral.test"}})
		_ = tx.Respond(res)
		return
	}
	if garbage {
		res := sip.NewSDPResponseFromRequest(req, []byte("v=0\r\nthis is not SDP\r\n"))
		res.To().Params.Add("tag", "g1")
		res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: 5060}})
		_ = tx.Respond(res)
		return
	}
	pc := e.rcPeer()
	if err := pc.SetRemoteDescription(pw.SessionDescription{Type: pw.SDPTypeOffer, SDP: string(req.Body())}); err != nil {
		e.t.Errorf("edge: client offer refused: %v", err)
		_ = tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		e.t.Error(err)
		return
	}
	gathered(e.t, pc, ans)
	body := rcSDP(pc)
	to := req.To()
	to.Params.Add("tag", sip.GenerateTagN(8))
	e.mu.Lock()
	e.invite = req
	e.mu.Unlock()
	for _, code := range []int{183, 200} {
		res := sip.NewSDPResponseFromRequest(req, body)
		res.StatusCode, res.Reason = code, map[int]string{183: "Session Progress", 200: "OK"}[code]
		res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: 5060}})
		_ = tx.Respond(res)
	}
}

// rcAccount is a RingCentral-style account on the edge.
func rcAccount(e *rcEdge) phone.Account {
	return phone.Account{ID: "rc", AOR: "sip:16505550100@sip.ringcentral.test", AuthUser: rcAuthID,
		OutboundProxy: "ws://" + e.addr, Transport: phone.WS, Provider: phone.ProviderRingCentral, Enabled: true}
}

// TestRingCentralRegistration: REGISTER shape (+sip.instance, .invalid
// Contact, digest with the authorizationId), refresh from the Contact's
// expires, dispose with expires=0; 603 Too Many Contacts gives a clear message.
func TestRingCentralRegistration(t *testing.T) {
	e := startRCEdge(t)
	c := newCore(t, ourTone)
	if err := c.SetAccount(rcAccount(e), "rc-secret"); err != nil {
		t.Fatal(err)
	}
	ev := c.wait(t, phone.EvRegistered, phone.EvRegFailed)
	if d := time.Until(ev.Reg.Expires); d < 55*time.Second || d > 61*time.Second {
		t.Fatalf("binding lifetime %v, want the Contact's expires=60", d)
	}
	e.mu.Lock()
	reg := e.registers[len(e.registers)-1]
	e.mu.Unlock()
	ct := reg.Contact()
	inst, _ := ct.Params.Get("+sip.instance")
	if !strings.Contains(inst, "urn:uuid:9c1f8e0e-4a7b-4c7e-9d1a-2b3c4d5e6f71") || !strings.HasSuffix(ct.Address.Host, ".invalid") {
		t.Fatalf("Contact %s: want +sip.instance and a .invalid host", ct.Value())
	}
	if reg.Recipient.Host != "sip.ringcentral.test" || reg.From().Address.User != "16505550100" {
		t.Fatalf("REGISTER %s from %s", reg.Recipient.String(), reg.From().Address.String())
	}
	t.Logf("REGISTER Contact: %s", ct.Value())
	// Dispose: remove the account, expect our own binding with expires=0.
	if err := c.RemoveAccount("rc"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		e.mu.Lock()
		last := e.registers[len(e.registers)-1]
		e.mu.Unlock()
		if v, _ := last.Contact().Params.Get("expires"); v == "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no REGISTER with expires=0 after removing the account")
		}
		time.Sleep(20 * time.Millisecond) // polling the edge's record, bounded
	}

	t.Run("too-many-contacts", func(t *testing.T) {
		e.mu.Lock()
		e.refuse = 603
		e.mu.Unlock()
		c := newCore(t, ourTone)
		if err := c.SetAccount(rcAccount(e), "rc-secret"); err != nil {
			t.Fatal(err)
		}
		ev := c.wait(t, phone.EvRegFailed, phone.EvRegistered)
		if ev.Reg.Code != 603 || !strings.Contains(ev.Reg.Reason, "too many devices") {
			t.Fatalf("reg_failed %q (%d)", ev.Reg.Reason, ev.Reg.Code)
		}
		t.Logf("603: %s", ev.Reg.Reason)
	})
}

// TestRingCentralCalls: an outbound call is answered by the immediate 200
// (SDP without a=mid or BUNDLE, ICE+DTLS connect); an inbound INVITE with
// P-rc gets 180 and the Cmd=17 receive-confirm MESSAGE on the call's
// Call-ID, then our answer connects.
func TestRingCentralCalls(t *testing.T) {
	e := startRCEdge(t)
	c := newCore(t, ourTone)
	if err := c.SetAccount(rcAccount(e), "rc-secret"); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvRegistered, phone.EvRegFailed)

	t.Run("outbound", func(t *testing.T) {
		if _, err := c.Dial("rc", "16505550199"); err != nil {
			t.Fatal(err)
		}
		c.wait(t, phone.EvAnswered, phone.EvEnded)
		select {
		case <-e.connected:
		case <-time.After(10 * time.Second):
			t.Fatal("ICE/DTLS between us and the edge did not connect")
		}
		if err := c.Hangup(""); err != nil {
			t.Fatal(err)
		}
		c.wait(t, phone.EvEnded)
		// The edge's Contact names no reachable address: the BYE must still
		// arrive, over our websocket.
		select {
		case <-e.gotBye:
		case <-time.After(5 * time.Second):
			t.Fatal("the edge got no BYE over the websocket")
		}
	})

	t.Run("inbound", func(t *testing.T) {
		pc := e.rcPeer()
		if _, err := pc.AddTransceiverFromKind(pw.RTPCodecTypeAudio); err != nil {
			t.Fatal(err)
		}
		offer, err := pc.CreateOffer(nil)
		if err != nil {
			t.Fatal(err)
		}
		gathered(t, pc, offer)
		e.mu.Lock()
		src := e.regSource
		e.mu.Unlock()
		inv := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "16505550100", Host: "x.invalid"})
		inv.SetBody(rcSDP(pc))
		inv.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		fromParams := sip.NewParams()
		fromParams.Add("tag", "rc1")
		inv.AppendHeader(&sip.FromHeader{DisplayName: "WIRELESS CALLER", Address: sip.Uri{Scheme: "sip", User: "+16505550199", Host: "sip.ringcentral.test"}, Params: fromParams})
		inv.AppendHeader(sip.NewHeader("P-rc", `<Msg><Hdr SID="35482343635848" Req="{17EA740D-1}" From="#1032016@sip.ringcentral.test:5060" To="16505550100" Cmd="6"/><Bdy Phn="+16505550199" Nm="WIRELESS CALLER"/></Msg>`))
		// RingCentral's auto-answer request (Call Control "answer party"),
		// long enough that this test answers first.
		inv.AppendHeader(sip.NewHeader("Alert-Info", "Auto Answer"))
		inv.AppendHeader(sip.NewHeader("Call-Info", "<sip:16505550100@sip.ringcentral.test>;purpose=info;Answer-After=30"))
		inv.SetTransport("WS")
		inv.SetDestination(src)
		dua := sipgo.DialogUA{Client: e.client, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: 5060}}}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		dlg, err := dua.WriteInvite(ctx, inv)
		if err != nil {
			t.Fatal(err)
		}
		in := c.wait(t, phone.EvIncoming, phone.EvEnded)
		if !in.Call.AutoAnswer {
			t.Error("the INVITE's Alert-Info/Call-Info auto-answer request was not seen")
		}
		select {
		case m := <-e.gotMsg:
			body := string(m.Body())
			if m.CallID().Value() != inv.CallID().Value() || !strings.Contains(body, `Cmd="17"`) ||
				!strings.Contains(body, `Cln="`+rcAuthID+`"`) || m.Recipient.User != "%231032016" {
				t.Fatalf("receive-confirm: %s Call-ID %s body %s", m.Recipient.String(), m.CallID().Value(), body)
			}
			t.Logf("receive-confirm MESSAGE %s: %s", m.Recipient.String(), body)
		case <-time.After(5 * time.Second):
			t.Fatal("no Cmd=17 receive-confirm MESSAGE")
		}
		if err := c.Answer(in.Call.ID); err != nil {
			t.Fatal(err)
		}
		if err := dlg.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := pc.SetRemoteDescription(pw.SessionDescription{Type: pw.SDPTypeAnswer, SDP: string(dlg.InviteResponse.Body())}); err != nil {
			t.Fatalf("edge: our answer refused: %v", err)
		}
		// ACK and BYE go over the client's websocket, never to its .invalid Contact.
		ack := sip.NewRequest(sip.ACK, dlg.InviteResponse.Contact().Address)
		ack.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.ACK})
		ack.SetTransport("WS")
		ack.SetDestination(src)
		if err := dlg.WriteAck(ctx, ack); err != nil {
			t.Fatal(err)
		}
		c.wait(t, phone.EvAnswered, phone.EvEnded)
		select {
		case <-e.connected:
		case <-time.After(10 * time.Second):
			t.Fatal("ICE/DTLS between the edge and us did not connect")
		}
		bye := sip.NewRequest(sip.BYE, dlg.InviteResponse.Contact().Address)
		bye.SetTransport("WS")
		bye.SetDestination(src)
		if err := dlg.WriteBye(ctx, bye); err != nil {
			t.Fatal(err)
		}
		c.wait(t, phone.EvEnded)
	})
}

// TestBadInput: a dead server, a malformed SDP answer and a malformed SDP
// offer each end in a human message and a safe state.
func TestBadInput(t *testing.T) {
	t.Run("dead-server", func(t *testing.T) {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // nothing listens there now
		c := newCore(t, ourTone)
		a := phone.Account{ID: "dead", AOR: "sip:alice@example.test", OutboundProxy: "ws://" + addr, Transport: phone.WS, Enabled: true}
		if err := c.SetAccount(a, "pw"); err != nil {
			t.Fatal(err)
		}
		ev := c.wait(t, phone.EvRegFailed, phone.EvRegistered)
		if !strings.Contains(ev.Reg.Reason, "connection refused") || ev.Reg.Retry.IsZero() {
			t.Fatalf("reason %q retry %v", ev.Reg.Reason, ev.Reg.Retry)
		}
		t.Logf("dead server: %s (retry in %v)", ev.Reg.Reason, time.Until(ev.Reg.Retry).Round(100*time.Millisecond))
	})

	e := startRCEdge(t)
	c := newCore(t, ourTone)
	if err := c.SetAccount(rcAccount(e), "rc-secret"); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvRegistered, phone.EvRegFailed)

	t.Run("malformed-answer", func(t *testing.T) {
		e.mu.Lock()
		e.garbage = true
		e.mu.Unlock()
		defer func() { e.mu.Lock(); e.garbage = false; e.mu.Unlock() }()
		if _, err := c.Dial("rc", "16505550199"); err != nil {
			t.Fatal(err)
		}
		ev := c.wait(t, phone.EvEnded, phone.EvAnswered)
		if ev.Call.Cause != phone.CauseMedia || !strings.Contains(ev.Call.Reason, "SDP") {
			t.Fatalf("ended %s: %q", ev.Call.Cause, ev.Call.Reason)
		}
		t.Logf("malformed answer: %s", ev.Call.Reason)
		select {
		case <-e.gotBye:
		case <-time.After(5 * time.Second):
			t.Fatal("no BYE after refusing the answer")
		}
	})

	t.Run("malformed-offer", func(t *testing.T) {
		e.mu.Lock()
		src := e.regSource
		e.mu.Unlock()
		inv := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "16505550100", Host: "x.invalid"})
		inv.SetBody([]byte("v=0\r\nm=garbage\r\n"))
		inv.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		fp := sip.NewParams()
		fp.Add("tag", "bad1")
		inv.AppendHeader(&sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "+16505550199", Host: "sip.ringcentral.test"}, Params: fp})
		inv.SetTransport("WS")
		inv.SetDestination(src)
		dua := sipgo.DialogUA{Client: e.client, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: 5060}}}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		dlg, err := dua.WriteInvite(ctx, inv)
		if err != nil {
			t.Fatal(err)
		}
		err = dlg.WaitAnswer(ctx, sipgo.AnswerOptions{})
		var dr *sipgo.ErrDialogResponse
		if !errors.As(err, &dr) || dr.Res.StatusCode != 488 {
			t.Fatalf("malformed offer answered %v, want 488", err)
		}
		w := dr.Res.GetHeader("Warning")
		if w == nil || !strings.Contains(w.Value(), "SDP") {
			t.Fatalf("488 without a Warning naming the SDP problem: %v", w)
		}
		t.Logf("malformed offer: 488, Warning: %s", w.Value())
	})
}

// TestRingCentralLateOffer: an INVITE without SDP (RingCentral queue
// pickup) is answered with our offer in the 200; the answer arrives in the
// ACK and ICE+DTLS connect.
func TestRingCentralLateOffer(t *testing.T) {
	e := startRCEdge(t)
	c := newCore(t, ourTone)
	if err := c.SetAccount(rcAccount(e), "rc-secret"); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvRegistered, phone.EvRegFailed)
	e.mu.Lock()
	src := e.regSource
	e.mu.Unlock()
	inv := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "16505550100", Host: "x.invalid"})
	fp := sip.NewParams()
	fp.Add("tag", "late1")
	inv.AppendHeader(&sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "+16505550199", Host: "sip.ringcentral.test"}, Params: fp})
	inv.SetTransport("WS")
	inv.SetDestination(src)
	dua := sipgo.DialogUA{Client: e.client, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: 5060}}}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	dlg, err := dua.WriteInvite(ctx, inv)
	if err != nil {
		t.Fatal(err)
	}
	in := c.wait(t, phone.EvIncoming, phone.EvEnded)
	if err := c.Answer(in.Call.ID); err != nil {
		t.Fatal(err)
	}
	if err := dlg.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		t.Fatal(err)
	}
	pc := e.rcPeer()
	if err := pc.SetRemoteDescription(pw.SessionDescription{Type: pw.SDPTypeOffer, SDP: string(dlg.InviteResponse.Body())}); err != nil {
		t.Fatalf("edge: our offer in the 200 refused: %v", err)
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered(t, pc, ans)
	ack := sip.NewRequest(sip.ACK, dlg.InviteResponse.Contact().Address)
	ack.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.ACK})
	ack.SetBody(rcSDP(pc))
	ack.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	ack.SetTransport("WS")
	ack.SetDestination(src)
	if err := dlg.WriteAck(ctx, ack); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvAnswered, phone.EvEnded)
	select {
	case <-e.connected:
	case <-time.After(10 * time.Second):
		t.Fatal("ICE/DTLS after the late offer did not connect")
	}
	if err := c.Hangup(""); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvEnded)
}

// infoToClient sends an in-dialog INFO from the edge in the dialog of the
// last INVITE it answered (the client's outbound call), over the
// client's websocket, and waits for the client's 200.
func (e *rcEdge) infoToClient(t *testing.T, contentType string, body []byte) {
	t.Helper()
	e.mu.Lock()
	inv, src := e.invite, e.regSource
	e.mu.Unlock()
	if inv == nil {
		t.Fatal("edge: no INVITE answered yet")
	}
	req := sip.NewRequest(sip.INFO, inv.Contact().Address)
	from := inv.To() // the edge's side: To of the INVITE, with the edge's tag
	req.AppendHeader(&sip.FromHeader{DisplayName: from.DisplayName, Address: from.Address, Params: from.Params.Clone()})
	to := inv.From() // the client's side, with its tag
	req.AppendHeader(&sip.ToHeader{DisplayName: to.DisplayName, Address: to.Address, Params: to.Params.Clone()})
	cid := sip.CallIDHeader(inv.CallID().Value())
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.INFO})
	req.AppendHeader(sip.NewHeader("Content-Type", contentType))
	req.SetBody(body)
	req.SetTransport("WS")
	req.SetDestination(src)
	res, err := e.client.Do(ctxT(t, 5*time.Second), req)
	if err != nil || res == nil || res.StatusCode != 200 {
		t.Fatalf("edge INFO: %v %v", res, err)
	}
}

// TestRingCentralPark: on a RingCentral WebRTC call, Park sends
// {"request":{"reqid":1,"command":"callpark"}} in an INFO; the edge
// answers 200, then reports the result in its own INFO ("park
// extension":"813"): the park is done at 813 and our leg ends with a BYE.
// Before that, an INFO from the edge that answers no command of ours is
// taken with a 200 and leaves the call up (it goes to the core as SessInfo).
func TestRingCentralPark(t *testing.T) {
	e := startRCEdge(t)
	c := newCore(t, ourTone)
	if err := c.SetAccount(rcAccount(e), "rc-secret"); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvRegistered, phone.EvRegFailed)
	id, err := c.Dial("rc", "16505550199")
	if err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvAnswered, phone.EvEnded)

	// An INFO that is not a command result does not disturb the call.
	e.infoToClient(t, "application/json;charset=utf-8", []byte(`{"response":{"reqid":7,"command":"unknown","result":{"code":0}}}`))

	start := time.Now()
	if err := c.Park(id); err != nil {
		t.Fatal(err)
	}
	var info *sip.Request
	select {
	case info = <-e.gotInfo:
	case <-time.After(5 * time.Second):
		t.Fatal("no callpark INFO reached the edge")
	}
	var got struct {
		Request struct {
			ReqID   int    `json:"reqid"`
			Command string `json:"command"`
		} `json:"request"`
	}
	if err := json.Unmarshal(info.Body(), &got); err != nil || got.Request.Command != "callpark" || got.Request.ReqID != 1 {
		t.Fatalf("park INFO body %s (%v)", info.Body(), err)
	}
	if ct := info.ContentType(); ct == nil || !strings.HasPrefix(ct.Value(), "application/json") {
		t.Fatalf("park INFO Content-Type %v", ct)
	}
	t.Logf("park INFO: %s", info.Body())
	e.infoToClient(t, "application/json;charset=utf-8",
		[]byte(`{"response":{"reqid":1,"command":"callpark","result":{"code":0,"description":"Success","park extension":"813"}}}`))
	ev := c.waitTransfer(t, phone.EvPark, phone.XferDone)
	if ev.Transfer.Extension != "813" {
		t.Fatalf("parked at %q, want 813", ev.Transfer.Extension)
	}
	t.Logf("parked at %s %v after Park", ev.Transfer.Extension, time.Since(start).Round(time.Millisecond))
	if info := c.waitEnded(t, id); info.Cause != phone.CauseTransferred {
		t.Errorf("parked call ended with %s", info.Cause)
	}
	select {
	case <-e.gotBye:
	case <-time.After(5 * time.Second):
		t.Fatal("the edge got no BYE after the park")
	}
}

// edgeInvite sends an INVITE with an offer from a fresh edge peer to the
// client, with extra headers; the caller waits for the answer.
func (e *rcEdge) edgeInvite(t *testing.T, hdrs ...sip.Header) (*sipgo.DialogClientSession, *pw.PeerConnection) {
	t.Helper()
	pc := e.rcPeer()
	if _, err := pc.AddTransceiverFromKind(pw.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered(t, pc, offer)
	e.mu.Lock()
	src := e.regSource
	e.mu.Unlock()
	inv := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "16505550100", Host: "x.invalid"})
	inv.SetBody(rcSDP(pc))
	inv.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	fp := sip.NewParams()
	fp.Add("tag", sip.GenerateTagN(8))
	inv.AppendHeader(&sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "+16505550199", Host: "sip.ringcentral.test"}, Params: fp})
	for _, h := range hdrs {
		inv.AppendHeader(h)
	}
	inv.SetTransport("WS")
	inv.SetDestination(src)
	dua := sipgo.DialogUA{Client: e.client, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: 5060}}}
	dlg, err := dua.WriteInvite(ctxT(t, 15*time.Second), inv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dlg.Close() })
	return dlg, pc
}

// TestRedirectAndReplaces: a 302 to our INVITE reaches the core as the
// redirect Target (it dials there); an INVITE whose Replaces names our
// call takes it over (the old leg ends as replaced, with a BYE); one
// naming no dialog of ours gets 481.
func TestRedirectAndReplaces(t *testing.T) {
	e := startRCEdge(t)
	c := newCore(t, ourTone)
	if err := c.SetAccount(rcAccount(e), "rc-secret"); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvRegistered, phone.EvRegFailed)

	t.Run("302", func(t *testing.T) {
		e.mu.Lock()
		e.redirect = "16505550177"
		e.mu.Unlock()
		defer func() { e.mu.Lock(); e.redirect = ""; e.mu.Unlock() }()
		if _, err := c.Dial("rc", "16505550199"); err != nil {
			t.Fatal(err)
		}
		ans := c.wait(t, phone.EvAnswered, phone.EvEnded)
		e.mu.Lock()
		got := e.invite.Recipient.User
		e.mu.Unlock()
		if got != "16505550177" || !strings.Contains(ans.Call.Peer, "16505550177") {
			t.Fatalf("after the 302 we called %q (peer %q), want 16505550177", got, ans.Call.Peer)
		}
		t.Logf("redirected: talking to %s", ans.Call.Peer)
		if err := c.Hangup(""); err != nil {
			t.Fatal(err)
		}
		c.wait(t, phone.EvEnded)
		select {
		case <-e.gotBye:
		case <-time.After(5 * time.Second):
			t.Fatal("the edge got no BYE")
		}
	})

	t.Run("replaces", func(t *testing.T) {
		id, err := c.Dial("rc", "16505550199")
		if err != nil {
			t.Fatal(err)
		}
		c.wait(t, phone.EvAnswered, phone.EvEnded)
		e.mu.Lock()
		old := e.invite
		e.mu.Unlock()
		ourTag, _ := old.From().Params.Get("tag")
		edgeTag, _ := old.To().Params.Get("tag")
		// Seen from the edge, which holds the dialog: our tag is its to-tag.
		dlg, pc := e.edgeInvite(t, sip.NewHeader("Replaces", old.CallID().Value()+";to-tag="+ourTag+";from-tag="+edgeTag))
		in := c.wait(t, phone.EvIncoming, phone.EvEnded)
		if info := c.waitEnded(t, id); info.Cause != phone.CauseReplaced {
			t.Errorf("the replaced call ended with %s", info.Cause)
		}
		select {
		case bye := <-e.gotBye:
			if bye.CallID().Value() != old.CallID().Value() {
				t.Errorf("BYE for %s, want the replaced dialog %s", bye.CallID().Value(), old.CallID().Value())
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the replaced dialog got no BYE")
		}
		ctx := ctxT(t, 10*time.Second)
		if err := dlg.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := pc.SetRemoteDescription(pw.SessionDescription{Type: pw.SDPTypeAnswer, SDP: string(dlg.InviteResponse.Body())}); err != nil {
			t.Fatal(err)
		}
		e.mu.Lock()
		src := e.regSource
		e.mu.Unlock()
		ack := sip.NewRequest(sip.ACK, dlg.InviteResponse.Contact().Address)
		ack.AppendHeader(&sip.CSeqHeader{SeqNo: dlg.InviteRequest.CSeq().SeqNo, MethodName: sip.ACK})
		ack.SetTransport("WS")
		ack.SetDestination(src)
		if err := dlg.WriteAck(ctx, ack); err != nil {
			t.Fatal(err)
		}
		// The new call is the only one, and active (its EvAnswered may
		// have been passed over by waitEnded: poll, bounded).
		deadline := time.Now().Add(5 * time.Second)
		for {
			snap := c.Snapshot()
			if len(snap.Calls) == 1 && snap.Calls[0].ID == in.Call.ID && snap.Calls[0].State == phone.StateActive {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("calls after the replacement: %+v", snap.Calls)
			}
			time.Sleep(20 * time.Millisecond) // polling a snapshot, bounded by the deadline
		}
		if err := c.Hangup(in.Call.ID); err != nil {
			t.Fatal(err)
		}
		if info := c.waitEnded(t, in.Call.ID); info.Cause != phone.CauseNormal {
			t.Errorf("the replacing call ended with %s", info.Cause)
		}
	})

	t.Run("unknown dialog", func(t *testing.T) {
		dlg, _ := e.edgeInvite(t, sip.NewHeader("Replaces", "no-such-call;to-tag=a1;from-tag=b2"))
		err := dlg.WaitAnswer(ctxT(t, 10*time.Second), sipgo.AnswerOptions{})
		var dr *sipgo.ErrDialogResponse
		if !errors.As(err, &dr) || dr.Res.StatusCode != 481 {
			t.Fatalf("INVITE replacing an unknown dialog: %v, want 481", err)
		}
	})
}

// rcPRc is an inbound INVITE's P-rc header as RingCentral sends it.
const rcPRc = `<Msg><Hdr SID="35482343635848" Req="{17EA740D-1}" From="#1032016@sip.ringcentral.test:5060" To="16505550100" Cmd="6"/><Bdy Phn="+16505550199" Nm="WIRELESS CALLER"/></Msg>`

// TestForwardRinging: forwarding a ringing call. On a RingCentral account
// it is an x-rc/agent MESSAGE (Cmd 10), sent only after the receive-confirm
// (Cmd 17) through the same ringcentral.Control; elsewhere a 302 whose
// Contact is the target.
func TestForwardRinging(t *testing.T) {
	e := startRCEdge(t)

	t.Run("ringcentral", func(t *testing.T) {
		c := newCore(t, ourTone)
		if err := c.SetAccount(rcAccount(e), "rc-secret"); err != nil {
			t.Fatal(err)
		}
		c.wait(t, phone.EvRegistered, phone.EvRegFailed)
		e.edgeInvite(t, sip.NewHeader("P-rc", rcPRc))
		in := c.wait(t, phone.EvIncoming, phone.EvEnded)
		if err := c.Forward(in.Call.ID, "16505550177"); err != nil {
			t.Fatal(err)
		}
		for _, cmd := range []string{`Cmd="17"`, `Cmd="10"`} {
			select {
			case m := <-e.gotMsg:
				if body := string(m.Body()); !strings.Contains(body, cmd) || m.CallID().Value() == "" {
					t.Fatalf("MESSAGE %s, want %s", body, cmd)
				} else {
					t.Logf("agent MESSAGE: %s", body)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("no agent MESSAGE with %s", cmd)
			}
		}
	})

	t.Run("302", func(t *testing.T) {
		c := newCore(t, ourTone)
		acct := rcAccount(e)
		acct.ID, acct.Provider = "plain", ""
		if err := c.SetAccount(acct, "rc-secret"); err != nil {
			t.Fatal(err)
		}
		c.wait(t, phone.EvRegistered, phone.EvRegFailed)
		dlg, _ := e.edgeInvite(t)
		in := c.wait(t, phone.EvIncoming, phone.EvEnded)
		if err := c.Forward(in.Call.ID, "16505550177"); err != nil {
			t.Fatal(err)
		}
		err := dlg.WaitAnswer(ctxT(t, 10*time.Second), sipgo.AnswerOptions{})
		var dr *sipgo.ErrDialogResponse
		if !errors.As(err, &dr) || dr.Res.StatusCode != 302 || dr.Res.Contact() == nil || dr.Res.Contact().Address.User != "16505550177" {
			t.Fatalf("forwarded call answered %v, want 302 to 16505550177", err)
		}
		t.Logf("302 Contact: %s", dr.Res.Contact().Address.String())
		if info := c.waitEnded(t, in.Call.ID); info.Cause != phone.CauseForwarded {
			t.Errorf("forwarded call ended with %s", info.Cause)
		}
	})
}
