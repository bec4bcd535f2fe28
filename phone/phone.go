// Package phone is Switchboard's UI-free phone core. One goroutine (Run)
// owns every account and call; commands come in through non-blocking methods,
// and changes go out as a Snapshot plus Events to subscribers. Signalling
// backends (phone/sip, later WebRTC) sit behind the Signaler and Session
// interfaces; audio arrives as audio.Source/audio.Sink.
//
// The package imports only the standard library and switchboard/audio.
package phone

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/audio"
)

// Audio is the sound device as the core sees it: one microphone source and
// one speaker sink, shared by the calls (only the active call has them).
type Audio interface {
	Source() audio.Source
	Sink() audio.Sink
}

// Config is what a Phone needs.
type Config struct {
	Signaler Signaler
	Audio    Audio // nil: no sound device (silence in, audio discarded)
	Logger   *slog.Logger
	// AutoAnswer answers every inbound call at once (headset users, tests).
	AutoAnswer bool
	// Ringback and Ringtone generate call-progress tones; nil: silence.
	Ringback func(audio.Format) audio.Source
	Ringtone func(audio.Format) audio.Source
	// Beep is played before an automatic answer; nil: silence.
	Beep func(audio.Format) audio.Source
	// StatsEvery publishes an EvStats event per active call at this period (0: off).
	StatsEvery time.Duration
	// RecordDir is where Record writes call recordings; OpenRecorder starts
	// one (audio/record.Create). Either unset: Record fails with ErrNoRecorder.
	RecordDir    string
	OpenRecorder func(path string) (Recorder, error)
}

// Phone is the core. Create it with New, run it with Run.
type Phone struct {
	cfg   Config
	log   *slog.Logger
	inbox chan func()
	seq   atomic.Uint64

	mu   sync.Mutex // guards subs and snap (read by other goroutines)
	subs map[chan Event]struct{}
	snap Snapshot

	// owned by the loop
	accounts map[string]*account
	calls    map[CallID]*call
	order    []CallID
	active   CallID
	ctx      context.Context
	tone     context.CancelFunc
	conf     *conference // local conference, if any
}

type account struct {
	acct   Account
	status RegStatus
	cancel context.CancelFunc
	done   chan struct{}
	pw     string
}

type call struct {
	info    CallInfo
	sess    Session
	cancel  context.CancelFunc // ends the call's context (CANCEL while dialing)
	ringing bool
	rec     Recorder // recording in progress, or nil
	recPath string
	// Moving calls (transfer.go): a transfer under way on this call; the
	// call this one consults for (attended transfer, flip); the call whose
	// REFER this one was placed for.
	xfer      *xfer
	consultOf CallID
	referOf   CallID
	conf      *confLeg // in the local conference (conference.go)
	divert    string   // ringing call handed to the provider (voicemail, forward): the end reason
	redirects int      // 3xx followed so far (outbound)
}

// New returns a Phone; nothing runs until Run.
func New(cfg Config) *Phone {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Phone{
		cfg: cfg, log: cfg.Logger.With("component", "phone"),
		inbox: make(chan func(), 256), subs: map[chan Event]struct{}{},
		accounts: map[string]*account{}, calls: map[CallID]*call{},
	}
	p.snap.Listen = cfg.Signaler.Listen()
	// Inbound calls may arrive before Run; they wait in the inbox.
	cfg.Signaler.SetIncoming(p.onIncoming)
	return p
}

// Run is the phone loop. It returns when ctx ends, after hanging up calls
// and unregistering accounts (bounded by a few seconds).
func (p *Phone) Run(ctx context.Context) error {
	p.ctx = ctx
	var statsC <-chan time.Time
	if p.cfg.StatsEvery > 0 {
		t := time.NewTicker(p.cfg.StatsEvery)
		defer t.Stop()
		statsC = t.C
	}
	for {
		select {
		case f := <-p.inbox:
			f()
		case <-statsC:
			p.publishStats()
		case <-ctx.Done():
			p.shutdown()
			return nil
		}
	}
}

func (p *Phone) shutdown() {
	p.stopTone()
	for _, c := range p.calls {
		if c.rec != nil {
			if err := c.rec.Close(); err != nil {
				p.log.Warn("recording", "path", c.recPath, "err", err)
			}
			c.rec = nil
		}
	}
	bye, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, c := range p.calls {
		if c.info.State == StateEnded {
			continue
		}
		wg.Add(1)
		go func(c *call) {
			defer wg.Done()
			if c.info.State == StateIncoming {
				_ = c.sess.Reject(bye, 480)
			} else {
				_ = c.sess.Hangup(bye)
			}
			c.cancel()
		}(c)
	}
	wg.Wait()
	for _, a := range p.accounts {
		a.cancel()
	}
	for _, a := range p.accounts {
		select {
		case <-a.done:
		case <-bye.Done():
		}
	}
}

// do runs f on the loop; it fails fast instead of blocking a UI.
func (p *Phone) do(f func()) error {
	select {
	case p.inbox <- f:
		return nil
	default:
		return ErrBusy
	}
}

// call runs f on the loop and waits for its error (bounded).
func (p *Phone) call(f func() error) error {
	res := make(chan error, 1)
	if err := p.do(func() { res <- f() }); err != nil {
		return err
	}
	select {
	case err := <-res:
		return err
	case <-time.After(5 * time.Second):
		return ErrBusy
	}
}

// post is for backend goroutines: it may wait briefly, never forever.
func (p *Phone) post(f func()) {
	select {
	case p.inbox <- f:
	case <-time.After(2 * time.Second):
		p.log.Warn("phone loop congested, event dropped")
	}
}

// Subscribe returns a channel that first receives nothing but is accompanied
// by the current Snapshot, then every Event until ctx ends.
func (p *Phone) Subscribe(ctx context.Context) (Snapshot, <-chan Event) {
	ch := make(chan Event, 1024)
	p.mu.Lock()
	p.subs[ch] = struct{}{}
	s := p.snapshotLocked()
	p.mu.Unlock()
	go func() {
		<-ctx.Done()
		p.mu.Lock()
		delete(p.subs, ch)
		close(ch)
		p.mu.Unlock()
	}()
	return s, ch
}

// Snapshot returns the current state.
func (p *Phone) Snapshot() Snapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.snapshotLocked()
}

func (p *Phone) snapshotLocked() Snapshot {
	s := p.snap
	s.Accounts = append([]RegStatus(nil), s.Accounts...)
	s.Calls = append([]CallInfo(nil), s.Calls...)
	return s
}

// publish refreshes the snapshot and sends ev to every subscriber.
func (p *Phone) publish(ev Event) {
	ev.Time = time.Now()
	// Events leave the loop: give subscribers copies, never loop state.
	if ev.Call != nil {
		ci := *ev.Call
		ev.Call = &ci
	}
	if ev.Reg != nil {
		r := *ev.Reg
		ev.Reg = &r
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.snap.Accounts = p.snap.Accounts[:0]
	for _, a := range p.accounts {
		p.snap.Accounts = append(p.snap.Accounts, a.status)
	}
	p.snap.Calls = p.snap.Calls[:0]
	for _, id := range p.order {
		p.snap.Calls = append(p.snap.Calls, p.calls[id].info)
	}
	p.snap.Active = p.active
	for ch := range p.subs {
		select {
		case ch <- ev:
		default:
			p.log.Warn("subscriber too slow, event dropped", "event", ev.Kind)
		}
	}
}

// ---- accounts ----

// SetAccount adds or replaces an account and (re)starts its registration
// with password. A disabled account is unregistered.
func (p *Phone) SetAccount(acct Account, password string) error {
	if err := acct.Validate(); err != nil {
		return err
	}
	if acct.ID == "" {
		acct.ID = acct.AOR
	}
	return p.call(func() error {
		if old, ok := p.accounts[acct.ID]; ok {
			old.cancel()
		}
		a := &account{acct: acct, pw: password, done: make(chan struct{})}
		a.status = RegStatus{AccountID: acct.ID, State: RegDisabled}
		p.accounts[acct.ID] = a
		if !acct.Enabled {
			a.cancel = func() {}
			close(a.done)
			p.publish(Event{Kind: EvUnregistered, Reg: &a.status})
			return nil
		}
		ctx, cancel := context.WithCancel(p.ctx)
		a.cancel = cancel
		go func() {
			defer close(a.done)
			err := p.cfg.Signaler.Register(ctx, acct, password, func(st RegStatus) {
				p.post(func() { p.onReg(a, st) })
			})
			if err != nil && ctx.Err() == nil {
				p.log.Warn("registration stopped", "account", acct.ID, "err", err)
			}
		}()
		return nil
	})
}

// RemoveAccount unregisters and forgets an account.
func (p *Phone) RemoveAccount(id string) error {
	return p.call(func() error {
		a, ok := p.accounts[id]
		if !ok {
			return ErrNoSuchAccount
		}
		a.cancel()
		delete(p.accounts, id)
		p.publish(Event{Kind: EvUnregistered, Reg: &RegStatus{AccountID: id, State: RegUnregistered}})
		return nil
	})
}

func (p *Phone) onReg(a *account, st RegStatus) {
	if p.accounts[a.acct.ID] != a {
		return // replaced meanwhile
	}
	st.AccountID = a.acct.ID
	a.status = st
	kind := EvRegistering
	switch st.State {
	case RegRegistered:
		kind = EvRegistered
	case RegFailed:
		kind = EvRegFailed
	case RegUnregistered, RegDisabled:
		kind = EvUnregistered
	}
	p.publish(Event{Kind: kind, Reg: &st})
}

// ---- calls ----

func (p *Phone) newID() CallID { return CallID(fmt.Sprintf("c%d", p.seq.Add(1))) }

// Dial places a call from accountID ("" = direct IP) to target and returns
// its id at once. Target is a URI or a number; numbers are completed with
// the account's domain.
func (p *Phone) Dial(accountID, target string) (CallID, error) {
	id := p.newID()
	err := p.call(func() error {
		_, err := p.dial(id, accountID, target, nil)
		return err
	})
	return id, err
}

// dial places a call on the loop; edit, if set, adjusts the request
// (Replaces, Referred-By) before it goes out.
func (p *Phone) dial(id CallID, accountID, target string, edit func(*DialRequest)) (*call, error) {
	req := DialRequest{Target: target}
	if accountID != "" {
		a, ok := p.accounts[accountID]
		if !ok {
			return nil, ErrNoSuchAccount
		}
		acct := a.acct
		req.Account, req.Password = &acct, a.pw
	}
	if edit != nil {
		edit(&req)
	}
	p.holdOthers("")
	ctx, cancel := context.WithCancel(p.ctx)
	c := &call{info: CallInfo{ID: id, AccountID: accountID, Direction: Outbound, Peer: target,
		State: StateDialing, StartedAt: time.Now()}, cancel: cancel}
	req.Audio = p.deviceAudio()
	sess, err := p.cfg.Signaler.Dial(ctx, req, p.handler(id))
	if err != nil {
		cancel()
		return nil, err
	}
	c.sess = sess
	c.info.SIPCallID = sess.SIPCallID()
	p.calls[id] = c
	p.order = append(p.order, id)
	p.active = id
	p.publish(Event{Kind: EvDialing, Call: &c.info})
	return c, nil
}

// maxRedirects bounds how many 3xx redirects one call follows.
const maxRedirects = 3

// followRedirect re-places an outbound call that was redirected (3xx) to
// target, keeping its CallID; false when it should end instead.
func (p *Phone) followRedirect(c *call, target string) bool {
	if c.info.Direction != Outbound || c.redirects >= maxRedirects || c.info.State == StateEnded {
		return false
	}
	req := DialRequest{Target: target, Audio: p.deviceAudio()}
	if a, ok := p.accounts[c.info.AccountID]; ok {
		acct := a.acct
		req.Account, req.Password = &acct, a.pw
	}
	if p.active != c.info.ID {
		req.Audio = heldAudio(c)
	}
	ctx, cancel := context.WithCancel(p.ctx)
	sess, err := p.cfg.Signaler.Dial(ctx, req, p.handler(c.info.ID))
	if err != nil {
		cancel()
		p.log.Info("redirect not followed", "call", c.info.ID, "target", target, "err", err)
		return false
	}
	c.cancel()
	c.cancel, c.sess = cancel, sess
	c.redirects++
	c.info.Peer, c.info.SIPCallID, c.info.State = target, sess.SIPCallID(), StateDialing
	p.publish(Event{Kind: EvDialing, Call: &c.info, Message: "redirected to " + target})
	return true
}

// handler returns the SessionHandler for call id: it only forwards.
func (p *Phone) handler(id CallID) SessionHandler {
	return func(ev SessionEvent) { p.post(func() { p.onSession(id, ev) }) }
}

func (p *Phone) onIncoming(in Incoming) SessionHandler {
	id := p.newID()
	p.post(func() {
		c := &call{info: CallInfo{ID: id, AccountID: in.AccountID, Direction: Inbound, Peer: in.From,
			PeerName: in.FromName, State: StateIncoming, StartedAt: time.Now(),
			SIPCallID: in.Session.SIPCallID(), AutoAnswer: in.AutoAnswerAfter >= 0}, sess: in.Session}
		_, c.cancel = context.WithCancel(p.ctx)
		p.calls[id] = c
		p.order = append(p.order, id)
		p.publish(Event{Kind: EvIncoming, Call: &c.info, From: in.From})
		if in.Replaces != nil {
			p.onReplacing(c, in.Replaces)
			return
		}
		if p.applyForwarding(c) {
			return
		}
		after := in.AutoAnswerAfter
		if a, ok := p.accounts[in.AccountID]; ok && a.acct.AutoAnswer {
			after = 0
		}
		switch {
		case p.cfg.AutoAnswer:
			p.answer(c)
		case after >= 0 && p.active == "":
			// Auto-answer (the INVITE asked, or the account says so): a
			// beep first so the agent knows a caller is there. Never
			// over an active call.
			c.info.AutoAnswer = true
			p.playTone(p.cfg.Beep)
			p.autoAnswer(id, time.Duration(after)*time.Second)
		case p.ringingCalls() == 1 && p.active == "" && p.cfg.Ringtone != nil:
			p.playTone(p.cfg.Ringtone)
		}
	})
	return p.handler(id)
}

// autoAnswerBeep is how long the beep before an automatic answer lasts.
const autoAnswerBeep = 400 * time.Millisecond

// autoAnswer answers call id after delay (at least the beep), if it is
// still ringing and no other call became active meanwhile.
func (p *Phone) autoAnswer(id CallID, delay time.Duration) {
	delay = max(delay, autoAnswerBeep)
	ctx := p.ctx
	go func() {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		p.post(func() {
			if c, ok := p.calls[id]; ok && c.info.State == StateIncoming && p.active == "" {
				p.answer(c)
			}
		})
	}()
}

func (p *Phone) ringingCalls() int {
	n := 0
	for _, c := range p.calls {
		if c.info.State == StateIncoming {
			n++
		}
	}
	return n
}

func (p *Phone) onSession(id CallID, ev SessionEvent) {
	c, ok := p.calls[id]
	if !ok || c.info.State == StateEnded {
		return
	}
	switch ev.Kind {
	case SessProgress:
		if !p.transition(c, evProgress) {
			return
		}
		c.info.EarlyMedia = ev.EarlyMedia
		if !ev.EarlyMedia && p.active == id && p.cfg.Ringback != nil {
			p.playTone(p.cfg.Ringback)
		} else if ev.EarlyMedia && p.active == id {
			p.stopTone()
		}
		p.publish(Event{Kind: EvRinging, Call: &c.info})
		if c.referOf != "" {
			p.onReferredProgress(c, ev)
		}
	case SessAnswered:
		if !p.transition(c, evAnswered) {
			return
		}
		if p.active == id {
			p.stopTone()
		}
		c.info.AnsweredAt = time.Now()
		c.info.Codec = ev.Codec
		p.publish(Event{Kind: EvAnswered, Call: &c.info})
		if c.referOf != "" {
			p.onReferredProgress(c, ev)
		}
		if c.consultOf != "" {
			p.onConsultAnswered(c)
		}
	case SessRemoteHold:
		c.info.RemoteHold = ev.Hold
		p.publish(Event{Kind: EvRemoteHold, Call: &c.info})
	case SessDTMF:
		p.publish(Event{Kind: EvDTMF, Call: &c.info, Digit: string(ev.Digit)})
	case SessMessage:
		p.publish(Event{Kind: EvMessage, Call: &c.info, Message: ev.Text})
	case SessTransfer:
		p.onTransferProgress(c, ev.Code, ev.Reason)
	case SessReferred:
		p.onReferred(c, ev)
	case SessInfo:
		p.onInfo(c, ev)
	case SessEnded:
		if ev.Code >= 300 && ev.Code < 400 && ev.Target != "" && p.followRedirect(c, ev.Target) {
			return
		}
		cause := ev.Cause
		if x := c.xfer; x != nil && x.info.Kind != XferReferred && cause == CauseNormal &&
			(x.info.State == XferTrying || x.info.State == XferRinging) && (x.info.Consult == "" || x.referred) {
			// The far end hung up while our REFER was under way without
			// a final NOTIFY (norefersub peers): it went.
			p.publishXfer(c, XferDone, 0, "")
			c.xfer = nil
			cause = CauseTransferred
		}
		p.end(c, cause, ev.Reason)
		if c.referOf != "" {
			p.onReferredProgress(c, ev)
		}
		if c.consultOf != "" {
			p.onConsultEnded(c)
		}
	}
}

func (p *Phone) transition(c *call, ev callEvent) bool {
	n, ok := next(c.info.State, ev)
	if !ok {
		p.log.Debug("ignored call event", "call", c.info.ID, "state", c.info.State, "event", ev)
		return false
	}
	c.info.State = n
	return true
}

func (p *Phone) end(c *call, cause EndCause, reason string) {
	if c.info.State == StateEnded {
		return
	}
	if c.info.State == StateIncoming && cause == CauseCancelled {
		cause = CauseMissed
		if c.divert != "" {
			// The provider took the call over as asked (inbound.go).
			cause, reason = CauseForwarded, c.divert
		}
	}
	c.info.State = StateEnded
	c.info.Cause, c.info.Reason = cause, reason
	c.info.EndedAt = time.Now()
	c.cancel()
	// Let go of the microphone and speaker now: the session may take a
	// moment to close, and another call may get the device at once.
	if c.sess != nil {
		c.sess.SetAudio(AudioPair{})
	}
	if c.conf != nil {
		p.leaveConference(c)
		p.publishConference()
	}
	p.stopRecording(c)
	if p.active == c.info.ID {
		p.active = ""
		p.stopTone()
	}
	if p.ringingCalls() == 0 && p.active == "" {
		p.stopTone()
	}
	info := c.info
	delete(p.calls, c.info.ID)
	for i, id := range p.order {
		if id == c.info.ID {
			p.order = append(p.order[:i], p.order[i+1:]...)
			break
		}
	}
	p.publish(Event{Kind: EvEnded, Call: &info})
}

// resolve finds the call a command means: the given id, or the only call /
// the active one when id is empty.
func (p *Phone) resolve(id CallID, want ...CallState) (*call, error) {
	if id != "" {
		c, ok := p.calls[id]
		if !ok {
			return nil, ErrNoSuchCall
		}
		return c, nil
	}
	var match []*call
	for _, cid := range p.order {
		c := p.calls[cid]
		if len(want) == 0 || containsState(want, c.info.State) {
			match = append(match, c)
		}
	}
	switch {
	case len(match) == 1:
		return match[0], nil
	case len(match) == 0:
		return nil, ErrNoSuchCall
	}
	if c, ok := p.calls[p.active]; ok && (len(want) == 0 || containsState(want, c.info.State)) {
		return c, nil
	}
	return nil, ErrAmbiguousCall
}

func containsState(s []CallState, x CallState) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// Answer answers an incoming call; another active call is put on hold.
func (p *Phone) Answer(id CallID) error {
	return p.call(func() error {
		c, err := p.resolve(id, StateIncoming)
		if err != nil {
			return err
		}
		if c.info.State != StateIncoming {
			return ErrBadState
		}
		p.answer(c)
		return nil
	})
}

func (p *Phone) answer(c *call) {
	p.stopTone()
	p.holdOthers(c.info.ID)
	p.active = c.info.ID
	a := p.deviceAudio()
	if c.info.Muted {
		a.Source = audio.Silence{F: a.Source.Format()}
	}
	sess, id := c.sess, c.info.ID
	go func() {
		ctx, cancel := context.WithTimeout(p.ctx, 32*time.Second)
		defer cancel()
		if err := sess.Answer(ctx, a); err != nil {
			p.post(func() {
				if c, ok := p.calls[id]; ok {
					p.publish(Event{Kind: EvError, Call: &c.info, Message: "answer failed: " + err.Error()})
					p.end(c, CauseError, err.Error())
				}
			})
		}
	}()
}

// Decline refuses an incoming call with 603 (busy=false) or 486 (busy=true).
func (p *Phone) Decline(id CallID, busy bool) error {
	return p.call(func() error {
		c, err := p.resolve(id, StateIncoming)
		if err != nil {
			return err
		}
		if c.info.State != StateIncoming {
			return ErrBadState
		}
		code, cause := 603, CauseDeclined
		if busy {
			code, cause = 486, CauseBusy
		}
		sess := c.sess
		go p.bounded(func(ctx context.Context) error { return sess.Reject(ctx, code) })
		p.end(c, cause, "declined by user")
		return nil
	})
}

// Hangup ends a call in any state (CANCEL, BYE or a decline).
func (p *Phone) Hangup(id CallID) error {
	return p.call(func() error {
		c, err := p.resolve(id)
		if err != nil {
			return err
		}
		sess := c.sess
		cause := CauseNormal
		switch c.info.State {
		case StateIncoming:
			go p.bounded(func(ctx context.Context) error { return sess.Reject(ctx, 603) })
			cause = CauseDeclined
		case StateDialing, StateRinging:
			cause = CauseCancelled
			go p.bounded(sess.Hangup)
		default:
			go p.bounded(sess.Hangup)
		}
		p.end(c, cause, "hung up by user")
		return nil
	})
}

func (p *Phone) bounded(f func(ctx context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f(ctx); err != nil {
		p.log.Debug("call request failed", "err", err)
	}
}

// Hold puts a call on hold (re-INVITE sendonly); Resume takes it off and
// makes it the active call, holding any other.
func (p *Phone) Hold(id CallID) error { return p.setHold(id, true) }

// Resume resumes a held call.
func (p *Phone) Resume(id CallID) error { return p.setHold(id, false) }

func (p *Phone) setHold(id CallID, on bool) error {
	return p.call(func() error {
		want := StateActive
		if !on {
			want = StateHeld
		}
		c, err := p.resolve(id, want)
		if err != nil {
			return err
		}
		if c.info.State != want {
			return ErrBadState
		}
		if !on {
			p.holdOthers(c.info.ID)
		}
		p.holdCall(c, on)
		return nil
	})
}

// holdCall sends the re-INVITE off the loop and applies the state when the
// far end accepted it.
func (p *Phone) holdCall(c *call, on bool) {
	sess, id := c.sess, c.info.ID
	if on && c.conf != nil {
		p.leaveConference(c)
		p.publishConference()
	}
	if on {
		sess.SetAudio(heldAudio(c))
		if p.active == id {
			p.active = ""
		}
	} else {
		p.active = id
		p.applyAudio(c)
	}
	go func() {
		ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
		defer cancel()
		err := sess.Hold(ctx, on)
		p.post(func() {
			c, ok := p.calls[id]
			if !ok {
				return
			}
			if err != nil {
				p.publish(Event{Kind: EvError, Call: &c.info, Message: fmt.Sprintf("hold failed: %v", err)})
				return
			}
			ev, kind := evHold, EvHeld
			if !on {
				ev, kind = evResume, EvResumed
			}
			if p.transition(c, ev) {
				p.publish(Event{Kind: kind, Call: &c.info})
			}
		})
	}()
}

// holdOthers holds every active call except keep.
func (p *Phone) holdOthers(keep CallID) {
	for _, id := range p.order {
		c := p.calls[id]
		if id != keep && c.info.State == StateActive {
			p.holdCall(c, true)
		}
	}
}

// Mute stops (on) or restarts sending the microphone on a call.
func (p *Phone) Mute(id CallID, on bool) error {
	return p.call(func() error {
		c, err := p.resolve(id, StateActive, StateHeld, StateDialing, StateRinging)
		if err != nil {
			return err
		}
		c.info.Muted = on
		if c.conf != nil && p.conf != nil {
			// In a conference the microphone is shared: mute it for all.
			p.conf.mic.muted.Store(on)
			for _, id := range p.conf.legs {
				if m, ok := p.calls[id]; ok && m != c {
					m.info.Muted = on
					p.publish(Event{Kind: EvMuted, Call: &m.info})
				}
			}
		} else if p.active == c.info.ID {
			p.applyAudio(c)
		}
		p.publish(Event{Kind: EvMuted, Call: &c.info})
		return nil
	})
}

func (p *Phone) applyAudio(c *call) {
	if c.conf != nil {
		c.sess.SetAudio(c.confAudio())
		return
	}
	a := p.deviceAudio()
	if c.info.Muted {
		a.Source = audio.Silence{F: a.Source.Format()}
	}
	a.Tap = c.tap()
	c.sess.SetAudio(a)
}

// SetAudio replaces the sound device (another Audio, e.g. after the user
// picked other devices) and moves the active call to it; a ringtone or
// ringback already playing stays on the old one until it stops. nil means
// no device. A device that switches in place (SwitchAudioDevice,
// audio/device.Stream) needs no call here.
func (p *Phone) SetAudio(a Audio) error {
	return p.call(func() error {
		p.cfg.Audio = a
		if c, ok := p.calls[p.active]; ok {
			p.applyAudio(c)
		}
		return nil
	})
}

// SendDTMF sends digits on a call as RFC 4733 events (info=false) or SIP INFO.
func (p *Phone) SendDTMF(id CallID, digits string, info bool) error {
	digits = strings.ToUpper(strings.TrimSpace(digits))
	for _, d := range digits {
		if !strings.ContainsRune("0123456789*#ABCD", d) {
			return fmt.Errorf("%q is not a DTMF digit (0-9, *, #, A-D)", d)
		}
	}
	return p.call(func() error {
		c, err := p.resolve(id, StateActive)
		if err != nil {
			return err
		}
		if c.info.State != StateActive {
			return ErrBadState
		}
		sess := c.sess
		go func() {
			ctx, cancel := context.WithTimeout(p.ctx, time.Duration(len(digits)+2)*time.Second)
			defer cancel()
			if err := sess.SendDTMF(ctx, digits, info); err != nil {
				p.post(func() { p.publish(Event{Kind: EvError, Message: "dtmf: " + err.Error()}) })
			}
		}()
		return nil
	})
}

func (p *Phone) publishStats() {
	for _, id := range p.order {
		c := p.calls[id]
		if c.info.State == StateActive || c.info.State == StateHeld {
			st := c.sess.Stats()
			p.publish(Event{Kind: EvStats, Call: &c.info, Stats: &st})
		}
	}
}

// CallStats returns the media figures of a call.
func (p *Phone) CallStats(id CallID) (CallStats, error) {
	var st CallStats
	err := p.call(func() error {
		c, err := p.resolve(id, StateActive, StateHeld, StateRinging, StateDialing)
		if err != nil {
			return err
		}
		st = c.sess.Stats()
		return nil
	})
	return st, err
}

func (p *Phone) deviceAudio() AudioPair {
	if p.cfg.Audio == nil {
		return AudioPair{Source: audio.Silence{F: audio.Mono8k}, Sink: audio.Discard{F: audio.Mono8k}}
	}
	return AudioPair{Source: p.cfg.Audio.Source(), Sink: p.cfg.Audio.Sink()}
}

// playTone pumps src into the speaker every 20 ms until stopTone.
func (p *Phone) playTone(gen func(audio.Format) audio.Source) {
	p.stopTone()
	if p.cfg.Audio == nil || gen == nil {
		return
	}
	src := gen(p.cfg.Audio.Sink().Format())
	ctx, cancel := context.WithCancel(p.ctx)
	p.tone = cancel
	sink := p.cfg.Audio.Sink()
	go func() {
		f := src.Format()
		buf := make([]int16, f.SamplesPer(20))
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if n, err := src.Read(buf); err == nil {
					_, _ = sink.Write(buf[:n])
				}
			}
		}
	}()
}

func (p *Phone) stopTone() {
	if p.tone != nil {
		p.tone()
		p.tone = nil
	}
}
