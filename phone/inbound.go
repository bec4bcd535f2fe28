package phone

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Inbound handling and provider call control: send a ringing call to
// voicemail, forward it, reply with a text; on RingCentral accounts park,
// flip and server-side recording go through its own commands (JSON over
// INFO), elsewhere through the standard SIP ways in transfer.go.

// providerControl returns c's provider call control when its account's
// provider has one.
func (p *Phone) providerControl(c *call) (ProviderControl, bool) {
	a, ok := p.accounts[c.info.AccountID]
	if !ok || a.acct.Provider != ProviderRingCentral {
		return nil, false
	}
	pc, ok := c.sess.(ProviderControl)
	return pc, ok
}

// providerResultWait bounds how long a provider command's result may take
// (RingCentral 1.x waited up to 60 s).
const providerResultWait = 30 * time.Second

// runProvider runs command on c's provider off the loop and calls done
// with the outcome on the loop (if c still exists).
func (p *Phone) runProvider(c *call, pc ProviderControl, command, target string, done func(c *call, r ProviderResult, err error)) {
	id := c.info.ID
	go func() {
		ctx, cancel := context.WithTimeout(p.ctx, providerResultWait)
		defer cancel()
		r, err := pc.ProviderCommand(ctx, command, target)
		p.post(func() {
			if c, ok := p.calls[id]; ok {
				done(c, r, err)
			}
		})
	}()
}

// providerOutcome turns a command result into a failure reason ("" = ok).
func providerOutcome(r ProviderResult, err error) string {
	switch {
	case err != nil:
		return err.Error()
	case r.Code != 0:
		if r.Description != "" {
			return fmt.Sprintf("%s (code %d)", r.Description, r.Code)
		}
		return fmt.Sprintf("refused (code %d)", r.Code)
	}
	return ""
}

// rcPark parks c with RingCentral's callpark command; the result names the
// park extension (retrieve by dialling *<ext>), then we hang up.
func (p *Phone) rcPark(c *call, pc ProviderControl) {
	c.xfer = &xfer{info: TransferInfo{Kind: XferPark, Target: "park"}}
	p.publishXfer(c, XferTrying, 0, "")
	p.runProvider(c, pc, "callpark", "", func(c *call, r ProviderResult, err error) {
		if why := providerOutcome(r, err); why != "" {
			p.failXfer(c, r.Code, why)
			return
		}
		c.xfer.info.Extension = r.Extension
		p.publishXfer(c, XferDone, 0, "")
		c.xfer = nil
		sess := c.sess
		go p.bounded(sess.Hangup)
		p.end(c, CauseTransferred, "parked at "+r.Extension)
	})
}

// rcFlip flips c with RingCentral's callflip command; the flipping device
// hangs up itself once the server reports success.
func (p *Phone) rcFlip(c *call, pc ProviderControl, device string) {
	c.xfer = &xfer{info: TransferInfo{Kind: XferFlip, Target: device}}
	p.publishXfer(c, XferTrying, 0, "")
	p.runProvider(c, pc, "callflip", device, func(c *call, r ProviderResult, err error) {
		if why := providerOutcome(r, err); why != "" {
			p.failXfer(c, r.Code, why)
			return
		}
		p.publishXfer(c, XferDone, 0, "")
		c.xfer = nil
		sess := c.sess
		go p.bounded(sess.Hangup)
		p.end(c, CauseTransferred, "flipped to "+device)
	})
}

// ServerRecord starts (on) or stops recording of an answered call on the
// provider's side (RingCentral startcallrecord/stopcallrecord). EvRecording
// reports the outcome in Message; CallInfo.ServerRecording follows it.
func (p *Phone) ServerRecord(id CallID, on bool) error {
	return p.call(func() error {
		c, err := p.resolve(id, StateActive, StateHeld)
		if err != nil {
			return err
		}
		pc, ok := p.providerControl(c)
		if !ok {
			return errors.New("recording on the server is available on RingCentral accounts; use local recording")
		}
		command := "stopcallrecord"
		if on {
			command = "startcallrecord"
		}
		p.runProvider(c, pc, command, "", func(c *call, r ProviderResult, err error) {
			if why := providerOutcome(r, err); why != "" {
				p.publish(Event{Kind: EvRecording, Call: &c.info, Message: "server recording: " + why})
				return
			}
			c.info.ServerRecording = on
			msg := "server recording stopped"
			if on {
				msg = "server recording started"
			}
			p.publish(Event{Kind: EvRecording, Call: &c.info, Message: msg})
		})
		return nil
	})
}

// SendToVoicemail sends a ringing call to voicemail: RingCentral's
// command, elsewhere 486 Busy Here (which PBXs route to voicemail).
func (p *Phone) SendToVoicemail(id CallID) error {
	return p.divert(id, "voicemail", "", "", "sent to voicemail")
}

// Forward sends a ringing call on to target: RingCentral's forward
// command, elsewhere 302 Moved Temporarily.
func (p *Phone) Forward(id CallID, target string) error {
	if target == "" {
		return errors.New("forward to whom? give a number or SIP address")
	}
	return p.divert(id, "forward", target, "", "forwarded to "+target)
}

// ReplyText answers a ringing call with a text the server reads to the
// caller (RingCentral only).
func (p *Phone) ReplyText(id CallID, text string) error {
	if text == "" {
		return errors.New("the reply is empty")
	}
	return p.divert(id, "reply", "", text, "replied: "+text)
}

// divert handles a ringing call without answering it.
func (p *Phone) divert(id CallID, command, target, text, reason string) error {
	return p.call(func() error {
		c, err := p.resolve(id, StateIncoming)
		if err != nil {
			return err
		}
		if c.info.State != StateIncoming {
			return ErrBadState
		}
		return p.divertCall(c, command, target, text, reason)
	})
}

// divertCall is divert on the loop.
func (p *Phone) divertCall(c *call, command, target, text, reason string) error {
	sess := c.sess
	if pc, ok := p.providerControl(c); ok {
		// The server cancels the call once it took over; until then it
		// keeps ringing here.
		c.divert = reason
		cid := c.info.ID
		go func() {
			ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
			defer cancel()
			if err := pc.ProviderAgent(ctx, command, target, text); err != nil {
				p.post(func() {
					if c, ok := p.calls[cid]; ok {
						c.divert = ""
						p.publish(Event{Kind: EvError, Call: &c.info, Message: command + " failed: " + err.Error()})
					}
				})
			}
		}()
		return nil
	}
	switch command {
	case "voicemail":
		go p.bounded(func(ctx context.Context) error { return sess.Reject(ctx, 486) })
	case "forward":
		t, ok := sess.(Transferer)
		if !ok {
			return ErrNotSupported
		}
		go p.bounded(func(ctx context.Context) error { return t.Redirect(ctx, target) })
	default:
		return errors.New("replying with a text needs a RingCentral account")
	}
	p.end(c, CauseForwarded, reason)
	return nil
}

// DefaultNoAnswerAfter is how long a call rings before the no-answer
// forwarding rule takes it, when the rule sets no time.
const DefaultNoAnswerAfter = 20 * time.Second

// applyForwarding applies the account's forwarding rules to a new inbound
// call; it returns true when the call was sent on at once.
func (p *Phone) applyForwarding(c *call) bool {
	a, ok := p.accounts[c.info.AccountID]
	if !ok {
		return false
	}
	f := a.acct.Forwarding
	switch {
	case f.Always != "":
		return p.divertCall(c, "forward", f.Always, "", "forwarded to "+f.Always) == nil
	case f.Busy != "" && p.active != "":
		return p.divertCall(c, "forward", f.Busy, "", "busy: forwarded to "+f.Busy) == nil
	case f.NoAnswer != "":
		after := time.Duration(f.NoAnswerAfter) * time.Second
		if after <= 0 {
			after = DefaultNoAnswerAfter
		}
		id, ctx, target := c.info.ID, p.ctx, f.NoAnswer
		go func() {
			t := time.NewTimer(after)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			p.post(func() {
				if c, ok := p.calls[id]; ok && c.info.State == StateIncoming && c.divert == "" {
					_ = p.divertCall(c, "forward", target, "", "not answered: forwarded to "+target)
				}
			})
		}()
	}
	return false
}
