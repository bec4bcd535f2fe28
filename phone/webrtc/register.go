package webrtc

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"switchboard/phone"
)

const allowed = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, NOTIFY, MESSAGE, REFER"

// Backoff after a failure: 2 s doubling to 60 s, ±20 % jitter.
func backoff(step int) time.Duration {
	d := min(2*time.Second<<min(step, 5), 60*time.Second)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// regError is a refused REGISTER with a sentence for the user.
type regError struct {
	code       int
	reason     string
	retryAfter time.Duration
}

func (e *regError) Error() string { return e.reason }

// regReason words a REGISTER failure for a user.
func regReason(code int, phrase string) string {
	switch code {
	case 401, 407:
		return fmt.Sprintf("wrong user name or password (%d)", code)
	case 403:
		return fmt.Sprintf("the server refused this account (403 %s)", phrase)
	case 404:
		return "unknown user (404)"
	case 408, 480, 503, 504:
		return fmt.Sprintf("the server is not available (%d %s)", code, phrase)
	case 603:
		if strings.Contains(strings.ToLower(phrase), "too many contacts") {
			return "too many devices are registered to this account (603 Too Many Contacts): sign out of another phone or app and try again"
		}
	}
	return fmt.Sprintf("registration refused (%d %s)", code, phrase)
}

// netReason words a transport error.
func netReason(err error) string {
	s := err.Error()
	switch {
	case strings.Contains(s, "certificate"):
		if i := strings.Index(s, "x509: "); i >= 0 {
			s = s[i+len("x509: "):]
		}
		return "the server's certificate is not trusted (" + s + "); add its CA to the account if it is yours"
	case strings.Contains(s, "connection refused"):
		return "cannot connect to the server (connection refused)"
	case errors.Is(err, context.DeadlineExceeded):
		return "the server did not answer in time"
	}
	return "cannot reach the server: " + s
}

// Register keeps acct registered over its websocket until ctx ends, then
// unregisters (expires=0 on our Contact). When the websocket drops it
// reconnects with backoff, registers again and re-INVITEs the account's
// answered calls with an ICE restart.
func (s *Signaler) Register(ctx context.Context, acct phone.Account, password string, report func(phone.RegStatus)) error {
	l, err := s.newLine(acct, password)
	if err != nil {
		report(phone.RegStatus{State: phone.RegFailed, Reason: "bad account: " + err.Error()})
		return err
	}
	s.mu.Lock()
	s.lines[acct.ID] = l
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.lines[acct.ID] == l {
			delete(s.lines, acct.ID)
		}
		s.mu.Unlock()
		l.close()
	}()
	expiry := acct.Expiry
	if expiry == 0 {
		expiry = phone.DefaultExpiry
	}
	step := 0
	reconnecting := false
	for {
		report(phone.RegStatus{State: phone.RegRegistering, Reason: "registering"})
		granted, err := l.register(ctx, expiry)
		if ctx.Err() != nil {
			l.unregister(report)
			return nil
		}
		if err != nil {
			reason := netReason(err)
			var re *regError
			wait := backoff(step)
			code := 0
			if errors.As(err, &re) {
				reason, code = re.reason, re.code
				if re.retryAfter > 0 {
					wait = re.retryAfter
				}
			}
			step++
			report(phone.RegStatus{State: phone.RegFailed, Reason: reason, Code: code, Retry: time.Now().Add(wait)})
			l.log.Warn("registration failed", "reason", reason, "retry_in", wait.Round(time.Millisecond))
			select {
			case <-ctx.Done():
				report(phone.RegStatus{State: phone.RegUnregistered, Reason: "unregistered"})
				return nil
			case <-time.After(wait):
			}
			continue
		}
		step = 0
		report(phone.RegStatus{State: phone.RegRegistered, Reason: "registered", Code: 200,
			Expires: time.Now().Add(granted), Contact: l.contact.Address.String()})
		if reconnecting {
			reconnecting = false
			s.restartCalls(ctx, l)
		}
		if l.keep(ctx, refreshAfter(granted)) {
			continue // refresh due
		}
		if ctx.Err() != nil {
			l.unregister(report)
			return nil
		}
		report(phone.RegStatus{State: phone.RegFailed, Reason: "connection to the server lost; reconnecting", Retry: time.Now()})
		reconnecting = true
	}
}

// refreshAfter is when to refresh a binding granted for d.
func refreshAfter(d time.Duration) time.Duration {
	if d > 100*time.Second {
		return d - max(d/10, 10*time.Second)
	}
	return d * 85 / 100
}

// keep holds the binding until its refresh is due (true) or the websocket
// closes (false). It checks the socket every second and sends CRLF
// keep-alives every KeepAlive.
func (l *line) keep(ctx context.Context, refresh time.Duration) bool {
	due := time.NewTimer(refresh)
	defer due.Stop()
	check := time.NewTicker(time.Second)
	defer check.Stop()
	ka := time.NewTicker(l.s.cfg.KeepAlive)
	defer ka.Stop()
	addr := l.wsAddr(ctx) // resolved once per binding, not every second
	for {
		select {
		case <-ctx.Done():
			return false
		case <-due.C:
			return true
		case <-check.C:
			if l.conn(addr) == nil {
				l.log.Warn("websocket closed")
				return false
			}
		case <-ka.C:
			if !l.keepAlive(addr) {
				l.log.Warn("keep-alive failed: websocket closed")
				return false
			}
		}
	}
}

// registerRequest builds a REGISTER for expiry.
func (l *line) registerRequest(expiry time.Duration) *sip.Request {
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: l.t.domain})
	from := &sip.FromHeader{DisplayName: l.acct.DisplayName, Address: l.aor(), Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: l.aor(), Params: sip.NewParams()})
	l.mu.Lock()
	l.cseq++
	cid := sip.CallIDHeader(l.callID)
	cseq := l.cseq
	l.mu.Unlock()
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: sip.REGISTER})
	req.AppendHeader(l.contact.Clone())
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expiry.Seconds()))))
	req.AppendHeader(sip.NewHeader("Allow", allowed))
	req.AppendHeader(sip.NewHeader("Supported", "path, outbound, gruu"))
	l.prepare(req)
	return req
}

// register sends one REGISTER, answering a digest challenge, and returns
// the lifetime the server granted.
func (l *line) register(ctx context.Context, expiry time.Duration) (time.Duration, error) {
	req := l.registerRequest(expiry)
	res, err := l.do(ctx, req)
	if err != nil {
		return 0, err
	}
	if res.StatusCode == 401 || res.StatusCode == 407 {
		if l.pw == "" {
			return 0, &regError{code: res.StatusCode, reason: "no password set for this account"}
		}
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		res, err = l.client.DoDigestAuth(actx, req, res, sipgo.DigestAuth{Username: l.t.authUser, Password: l.pw})
		cancel()
		l.mu.Lock()
		l.cseq = max(l.cseq, req.CSeq().SeqNo)
		l.mu.Unlock()
		if err != nil {
			return 0, err
		}
		if res == nil {
			return 0, errNoResponse
		}
	}
	if res.StatusCode == 423 {
		if h := res.GetHeader("Min-Expires"); h != nil {
			if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && time.Duration(n)*time.Second > expiry {
				return l.register(ctx, time.Duration(n)*time.Second)
			}
		}
	}
	if !res.IsSuccess() {
		e := &regError{code: res.StatusCode, reason: regReason(res.StatusCode, res.Reason)}
		if h := res.GetHeader("Retry-After"); h != nil {
			v, _, _ := strings.Cut(strings.TrimSpace(h.Value()), ";")
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 && n < 3600 {
				e.retryAfter = time.Duration(n) * time.Second
			}
		}
		return 0, e
	}
	return l.grantedExpiry(res, expiry), nil
}

// grantedExpiry reads our binding's lifetime from a 200: the expires
// parameter of our Contact, else the Expires header, else what we asked.
func (l *line) grantedExpiry(res *sip.Response, asked time.Duration) time.Duration {
	for _, h := range res.GetHeaders("Contact") {
		ch, ok := h.(*sip.ContactHeader)
		if !ok || ch.Address.User != l.contact.Address.User || ch.Address.Host != l.contact.Address.Host {
			continue
		}
		if v, ok := ch.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	return asked
}

// unregister removes our own binding (expires=0), bounded in time.
func (l *line) unregister(report func(phone.RegStatus)) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	req := l.registerRequest(0)
	req.Contact().Params.Add("expires", "0")
	res, err := l.do(ctx, req)
	if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) && l.pw != "" {
		res, err = l.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: l.t.authUser, Password: l.pw})
	}
	st := phone.RegStatus{State: phone.RegUnregistered, Reason: "unregistered"}
	switch {
	case err != nil:
		st.Reason = "unregister failed: " + netReason(err)
	case res == nil:
		st.Reason = "unregister failed: no answer"
	case !res.IsSuccess():
		st.Reason = fmt.Sprintf("unregister refused (%d %s)", res.StatusCode, res.Reason)
	}
	report(st)
}
