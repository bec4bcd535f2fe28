package phone

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNotSupported is returned for a feature this call's backend lacks.
var ErrNotSupported = errors.New("not supported on this call")

// ErrNoParkCode is returned by Park when the account has no park extension.
var ErrNoParkCode = errors.New("no park extension or feature code is set for this account")

// Transfer kinds (TransferInfo.Kind).
const (
	XferBlind    = "blind"    // REFER to a target
	XferAttended = "attended" // consult, then REFER with Replaces
	XferFlip     = "flip"     // attended transfer to one of my devices
	XferPark     = "park"     // blind transfer to the park code
	XferReferred = "referred" // the far end transferred us (we place the call)
)

// Transfer states (TransferInfo.State).
const (
	XferConsulting = "consulting" // attended: talking to the target, caller on hold
	XferTrying     = "trying"
	XferRinging    = "ringing"
	XferDone       = "done"
	XferFailed     = "failed"
	XferCancelled  = "cancelled"
)

// TransferInfo is the progress of moving a call (EvTransfer, EvFlip, EvPark).
type TransferInfo struct {
	Kind   string
	State  string
	Target string
	Code   int    // SIP status behind State, if any
	Reason string // human text for failures
	// Consult is the consultation call of an attended transfer or flip.
	Consult CallID
	// Extension is where a parked call waits (when the server says).
	Extension string
}

// xfer is a transfer in progress on the call being moved.
type xfer struct {
	info TransferInfo
	// referred: the REFER for an attended transfer or flip has gone out,
	// so the target hanging up our consultation is expected (it was
	// replaced), not a failure.
	referred bool
}

// transferEvent is the event kind a transfer of this kind reports with.
func transferEvent(kind string) EventKind {
	switch kind {
	case XferFlip:
		return EvFlip
	case XferPark:
		return EvPark
	}
	return EvTransfer
}

func (p *Phone) publishXfer(c *call, state string, code int, reason string) {
	if c.xfer == nil {
		return
	}
	c.xfer.info.State, c.xfer.info.Code, c.xfer.info.Reason = state, code, reason
	ti := c.xfer.info
	p.publish(Event{Kind: transferEvent(ti.Kind), Call: &c.info, Transfer: &ti})
}

// transferer returns c's session as a Transferer.
func transferer(c *call) (Transferer, error) {
	t, ok := c.sess.(Transferer)
	if !ok {
		return nil, ErrNotSupported
	}
	return t, nil
}

// Transfer blind-transfers an answered call to target (REFER). The call
// ends when the far end reports success; on failure it stays and an
// EvTransfer event with State "failed" says why.
func (p *Phone) Transfer(id CallID, target string) error {
	return p.call(func() error { return p.refer(id, XferBlind, target) })
}

// Park parks an answered call: a blind transfer to the account's park
// extension or feature code.
func (p *Phone) Park(id CallID) error {
	return p.call(func() error {
		c, err := p.resolve(id, StateActive, StateHeld)
		if err != nil {
			return err
		}
		if pc, ok := p.providerControl(c); ok {
			if c.info.State != StateActive && c.info.State != StateHeld {
				return ErrBadState
			}
			p.rcPark(c, pc)
			return nil
		}
		a, ok := p.accounts[c.info.AccountID]
		if !ok || a.acct.ParkCode == "" {
			return ErrNoParkCode
		}
		return p.refer(c.info.ID, XferPark, a.acct.ParkCode)
	})
}

// refer starts a blind REFER of kind on the loop.
func (p *Phone) refer(id CallID, kind, target string) error {
	c, err := p.resolve(id, StateActive, StateHeld)
	if err != nil {
		return err
	}
	if c.info.State != StateActive && c.info.State != StateHeld {
		return ErrBadState
	}
	if c.xfer != nil && c.xfer.info.State != XferFailed && c.xfer.info.State != XferCancelled {
		return fmt.Errorf("a transfer of this call is already under way")
	}
	t, err := transferer(c)
	if err != nil {
		return err
	}
	if target == "" {
		return errors.New("transfer to whom? give a number or SIP address")
	}
	c.xfer = &xfer{info: TransferInfo{Kind: kind, Target: target}}
	p.publishXfer(c, XferTrying, 0, "")
	p.sendRefer(c, t, target, nil)
	return nil
}

// sendRefer sends the REFER off the loop and reports a refusal.
func (p *Phone) sendRefer(c *call, t Transferer, target string, replaces *DialogRef) {
	cid := c.info.ID
	x := c.xfer
	go func() {
		ctx, cancel := context.WithTimeout(p.ctx, 15*time.Second)
		defer cancel()
		err := t.Refer(ctx, target, replaces)
		if err == nil {
			return
		}
		p.post(func() {
			if c, ok := p.calls[cid]; ok && c.xfer == x {
				p.failXfer(c, 0, err.Error())
			}
		})
	}()
}

// failXfer reports a failed transfer; the call stays (and is resumed when
// a consultation was involved).
func (p *Phone) failXfer(c *call, code int, reason string) {
	if c.xfer == nil {
		return
	}
	p.publishXfer(c, XferFailed, code, reason)
	consult := c.xfer.info.Consult
	c.xfer = nil
	if k, ok := p.calls[consult]; ok {
		k.consultOf = ""
	}
}

// Consult starts an attended transfer: the call is held and target is
// called; CompleteTransfer connects the two, CancelTransfer goes back.
func (p *Phone) Consult(id CallID, target string) (CallID, error) {
	kid := p.newID()
	err := p.call(func() error { return p.consult(id, kid, XferAttended, target) })
	return kid, err
}

// Flip moves an answered call to another of the user's own devices: it
// calls device and, once it answers, hands the caller to it (an attended
// transfer to ourselves) and drops this leg. EvFlip events report progress.
func (p *Phone) Flip(id CallID, device string) error {
	kid := p.newID()
	return p.call(func() error {
		if c, err := p.resolve(id, StateActive, StateHeld); err == nil {
			if pc, ok := p.providerControl(c); ok {
				if device == "" {
					return errors.New("flip to which device?")
				}
				p.rcFlip(c, pc, device)
				return nil
			}
		}
		return p.consult(id, kid, XferFlip, device)
	})
}

func (p *Phone) consult(id, kid CallID, kind, target string) error {
	c, err := p.resolve(id, StateActive, StateHeld)
	if err != nil {
		return err
	}
	if c.info.State != StateActive && c.info.State != StateHeld {
		return ErrBadState
	}
	if _, err := transferer(c); err != nil {
		return err
	}
	if c.xfer != nil && c.xfer.info.State != XferFailed && c.xfer.info.State != XferCancelled {
		return fmt.Errorf("a transfer of this call is already under way")
	}
	if target == "" {
		return errors.New("transfer to whom? give a number or SIP address")
	}
	k, err := p.dial(kid, c.info.AccountID, target, nil) // holds c
	if err != nil {
		return err
	}
	k.consultOf = c.info.ID
	c.xfer = &xfer{info: TransferInfo{Kind: kind, Target: target, Consult: kid}}
	state := XferConsulting
	if kind == XferFlip {
		state = XferTrying
	}
	p.publishXfer(c, state, 0, "")
	return nil
}

// pair returns the original call and its consultation for id (either).
func (p *Phone) pair(id CallID) (orig, consult *call, err error) {
	c, err := p.resolve(id)
	if err != nil {
		return nil, nil, err
	}
	if c.consultOf != "" {
		c = p.calls[c.consultOf]
		if c == nil {
			return nil, nil, ErrNoSuchCall
		}
	}
	if c.xfer == nil || c.xfer.info.Consult == "" {
		return nil, nil, errors.New("no transfer consultation on this call")
	}
	k, ok := p.calls[c.xfer.info.Consult]
	if !ok {
		return nil, nil, errors.New("the consultation call has ended")
	}
	return c, k, nil
}

// CompleteTransfer connects the held caller to the consulted target
// (REFER with Replaces) and, on success, drops both our legs.
func (p *Phone) CompleteTransfer(id CallID) error {
	return p.call(func() error {
		c, k, err := p.pair(id)
		if err != nil {
			return err
		}
		return p.complete(c, k)
	})
}

// TransferBetween connects the far ends of two of our calls to each other
// (attended transfer without a dialled consultation) and drops our legs.
func (p *Phone) TransferBetween(a, b CallID) error {
	return p.call(func() error {
		ca, ok1 := p.calls[a]
		cb, ok2 := p.calls[b]
		if !ok1 || !ok2 || a == b {
			return ErrNoSuchCall
		}
		if _, err := transferer(ca); err != nil {
			return err
		}
		ca.xfer = &xfer{info: TransferInfo{Kind: XferAttended, Target: cb.info.Peer, Consult: b}}
		cb.consultOf = a
		return p.complete(ca, cb)
	})
}

func (p *Phone) complete(c, k *call) error {
	if k.info.State != StateActive && k.info.State != StateHeld {
		return errors.New("the transfer target has not answered yet")
	}
	t, err := transferer(c)
	if err != nil {
		return err
	}
	kt, err := transferer(k)
	if err != nil {
		return err
	}
	ref, uri := kt.Dialog()
	c.xfer.referred = true
	p.publishXfer(c, XferTrying, 0, "")
	p.sendRefer(c, t, uri, &ref)
	return nil
}

// CancelTransfer abandons an attended transfer or flip: the consultation
// is hung up and the caller resumed.
func (p *Phone) CancelTransfer(id CallID) error {
	return p.call(func() error {
		c, k, err := p.pair(id)
		if err != nil {
			return err
		}
		k.consultOf = ""
		p.hangupCall(k, "transfer cancelled")
		p.publishXfer(c, XferCancelled, 0, "")
		c.xfer = nil
		if c.info.State == StateHeld {
			p.holdOthers(c.info.ID)
			p.holdCall(c, false)
		}
		return nil
	})
}

// hangupCall ends an answered or ringing outbound call from the loop.
func (p *Phone) hangupCall(c *call, reason string) {
	sess := c.sess
	go p.bounded(sess.Hangup)
	cause := CauseNormal
	if c.info.State == StateDialing || c.info.State == StateRinging {
		cause = CauseCancelled
	}
	p.end(c, cause, reason)
}

// onTransferProgress handles a NOTIFY about our REFER.
func (p *Phone) onTransferProgress(c *call, code int, reason string) {
	if c.xfer == nil {
		return
	}
	switch {
	case code < 180:
		p.publishXfer(c, XferTrying, code, reason)
	case code < 200:
		p.publishXfer(c, XferRinging, code, reason)
	case code < 300:
		p.transferDone(c)
	default:
		p.failXfer(c, code, fmt.Sprintf("%d %s", code, reason))
	}
}

// transferDone reports success and drops our legs.
func (p *Phone) transferDone(c *call) {
	p.publishXfer(c, XferDone, 200, "")
	consult := c.xfer.info.Consult
	c.xfer = nil
	if k, ok := p.calls[consult]; ok {
		sess := k.sess
		go p.bounded(sess.Hangup)
		p.end(k, CauseTransferred, "transferred")
	}
	sess := c.sess
	go p.bounded(sess.Hangup)
	p.end(c, CauseTransferred, "transferred")
}

// onConsultAnswered: a flip completes itself once the device answers.
func (p *Phone) onConsultAnswered(k *call) {
	c, ok := p.calls[k.consultOf]
	if !ok || c.xfer == nil || c.xfer.info.Kind != XferFlip {
		return
	}
	if err := p.complete(c, k); err != nil {
		p.failXfer(c, 0, err.Error())
	}
}

// onConsultEnded: a consultation that ends before completion fails a flip
// (the caller is resumed); an attended transfer waits for the user.
func (p *Phone) onConsultEnded(k *call) {
	c, ok := p.calls[k.consultOf]
	if !ok || c.xfer == nil || c.xfer.info.Consult != k.info.ID {
		return
	}
	reason := k.info.Reason
	if reason == "" {
		reason = string(k.info.Cause)
	}
	if c.xfer.referred {
		return // REFER under way: the NOTIFY decides
	}
	p.failXfer(c, 0, "the target call ended: "+reason)
	if c.info.State == StateHeld && p.active == "" {
		p.holdCall(c, false)
	}
}

// onReferred handles an incoming REFER on call x: we place the new call
// and tell the transferor how it goes.
func (p *Phone) onReferred(x *call, ev SessionEvent) {
	t, ok := x.sess.(Transferer)
	if !ok {
		return
	}
	x.xfer = &xfer{info: TransferInfo{Kind: XferReferred, Target: ev.Target}}
	p.publishXfer(x, XferTrying, 0, "")
	id := p.newID()
	y, err := p.dial(id, x.info.AccountID, ev.Target, func(r *DialRequest) {
		r.Replaces, r.ReferredBy = ev.Replaces, ev.ReferredBy
	})
	if err != nil {
		p.notifyTransferor(t, 503, "Service Unavailable")
		p.failXfer(x, 0, err.Error())
		return
	}
	y.referOf = x.info.ID
	p.notifyTransferor(t, 100, "Trying")
}

func (p *Phone) notifyTransferor(t Transferer, code int, reason string) {
	go p.bounded(func(ctx context.Context) error { return t.NotifyTransfer(ctx, code, reason) })
}

// onReferredProgress reports the call placed for a REFER to the transferor.
func (p *Phone) onReferredProgress(y *call, ev SessionEvent) {
	x, ok := p.calls[y.referOf]
	if !ok {
		return
	}
	t, ok := x.sess.(Transferer)
	if !ok {
		return
	}
	switch ev.Kind {
	case SessProgress:
		p.notifyTransferor(t, 180, "Ringing")
		p.publishXfer(x, XferRinging, 180, "")
	case SessAnswered:
		y.referOf = ""
		x.xfer.info.Consult = ""
		p.publishXfer(x, XferDone, 200, "")
		x.xfer = nil
		// The final NOTIFY goes out before our BYE (the transferor usually
		// hangs up when it sees it; if not, we do).
		xs := x.sess
		go func() {
			p.bounded(func(ctx context.Context) error { return t.NotifyTransfer(ctx, 200, "OK") })
			p.bounded(xs.Hangup)
		}()
		p.end(x, CauseTransferred, "transferred to "+y.info.Peer)
	case SessEnded:
		code := ev.Code
		if code < 300 {
			code = 487
		}
		p.notifyTransferor(t, code, ev.Reason)
		p.failXfer(x, code, "the transfer target did not answer: "+ev.Reason)
	}
}

// onReplacing: an inbound call that takes over one of ours (Replaces) is
// answered at once and the old call ends.
func (p *Phone) onReplacing(n *call, old Session) {
	for _, id := range p.order {
		r := p.calls[id]
		if r == nil || r.sess != old || r.info.ID == n.info.ID {
			continue
		}
		p.answer(n)
		go p.bounded(old.Hangup)
		p.end(r, CauseReplaced, "replaced by "+n.info.Peer)
		return
	}
}

// onInfo handles an in-dialog INFO that is not DTMF (provider commands).
func (p *Phone) onInfo(c *call, ev SessionEvent) {
	p.log.Debug("INFO", "call", c.info.ID, "type", ev.ContentType)
}
