package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"switchboard/phone"
)

// Backoff after a failed registration: 2 s doubling to 60 s, with ±20 %
// jitter so many phones do not retry in step.
const (
	backoffMin = 2 * time.Second
	backoffMax = 60 * time.Second
)

func backoff(step int) time.Duration {
	d := backoffMin << min(step, 6)
	if d > backoffMax {
		d = backoffMax
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

var errNoResponse = errors.New("connection closed before the registrar answered")

// registration is the state of one account's REGISTER dialog.
type registration struct {
	s       *Signaler
	acct    phone.Account
	pw      string
	t       target
	client  *sipgo.Client
	callID  string
	cseq    uint32
	contact sip.ContactHeader
	report  func(phone.RegStatus)
}

// regError is a failed REGISTER with what the user should read.
type regError struct {
	code       int
	reason     string
	retryAfter time.Duration
	network    bool
}

func (e *regError) Error() string { return e.reason }

// Register keeps acct registered until ctx ends, then unregisters.
func (s *Signaler) Register(ctx context.Context, acct phone.Account, password string, report func(phone.RegStatus)) error {
	t, err := accountTarget(acct)
	if err != nil {
		report(phone.RegStatus{State: phone.RegFailed, Reason: "bad account: " + err.Error()})
		return err
	}
	if acct.NoRegister {
		// A trunk that authenticates us by IP: nothing to register, but its
		// calls must come in, so trust its address while the account is on.
		s.trust(acct, t, true)
		defer s.trust(acct, t, false)
		report(phone.RegStatus{State: phone.RegRegistered, Reason: "no registration (IP-authenticated trunk)"})
		<-ctx.Done()
		return nil
	}
	s.forgetClient(acct.ID)
	client, err := s.clientFor(acct)
	if err != nil {
		report(phone.RegStatus{State: phone.RegFailed, Reason: err.Error()})
		return err
	}
	r := &registration{s: s, acct: acct, pw: password, t: t, client: client, callID: newCallID(),
		cseq: uint32(rand.IntN(1000)) + 1, report: report}
	r.contact = sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: t.user,
		Host: s.localIPFor(hostOf(t.dest)), Port: int(s.listen.Port())}, Params: sip.NewParams()}
	if t.transport != "UDP" {
		r.contact.Address.UriParams = sip.NewParams()
		r.contact.Address.UriParams.Add("transport", strings.ToLower(t.transport))
	}
	if s.cfg.InstanceID != "" {
		r.contact.Params.Add("+sip.instance", `"<urn:uuid:`+s.cfg.InstanceID+`>"`)
	}
	s.trust(acct, t, true)
	defer s.trust(acct, t, false)
	return runRegistration(ctx, r, acct, report, s.cfg.KeepAlive, s.log)
}

// registrar is the network side of a registration; the timer loop in
// runRegistration is tested against a fake of it under testing/synctest.
type registrar interface {
	register(ctx context.Context, expiry time.Duration) (time.Duration, error)
	ping(ctx context.Context) error
	unregister()
	contactURI() string
}

func (r *registration) contactURI() string { return r.contact.Address.String() }

func hostOf(hostport string) string {
	h, _, _ := strings.Cut(hostport, ":")
	if strings.HasPrefix(hostport, "[") {
		h = strings.Trim(strings.SplitN(hostport, "]", 2)[0], "[")
	}
	return h
}

// runRegistration registers, refreshes before expiry, keeps the binding
// alive and retries with backoff until ctx ends, then unregisters.
func runRegistration(ctx context.Context, r registrar, acct phone.Account, report func(phone.RegStatus), keepAlive time.Duration, log *slog.Logger) error {
	step := 0
	expiry := acct.Expiry
	if expiry == 0 {
		expiry = phone.DefaultExpiry
	}
	for {
		report(phone.RegStatus{State: phone.RegRegistering, Reason: "registering"})
		granted, err := r.register(ctx, expiry)
		if ctx.Err() != nil {
			r.unregister()
			return nil
		}
		if err != nil {
			var re *regError
			if !errors.As(err, &re) {
				re = &regError{reason: netReason(err), network: true}
			}
			wait := backoff(step)
			if re.retryAfter > 0 {
				wait = re.retryAfter
			}
			step++
			report(phone.RegStatus{State: phone.RegFailed, Reason: re.reason, Code: re.code, Retry: time.Now().Add(wait)})
			log.Warn("registration failed", "account", acct.ID, "reason", re.reason, "retry_in", wait.Round(time.Millisecond))
			if !waitRetry(ctx, r, wait, re.network) {
				r.unregister()
				return nil
			}
			continue
		}
		step = 0
		report(phone.RegStatus{State: phone.RegRegistered, Reason: "registered", Code: 200,
			Expires: time.Now().Add(granted), Contact: r.contactURI()})
		if !keepBinding(ctx, r, refreshAfter(granted), keepAlive, log) {
			if ctx.Err() != nil {
				r.unregister()
				return nil
			}
			// Keep-alive failed: the registrar is gone or restarted; register again.
			report(phone.RegStatus{State: phone.RegFailed, Reason: "lost contact with the registrar", Retry: time.Now()})
		}
	}
}

// refreshAfter is when to refresh a binding granted for d: 85 % of short
// lifetimes, and at least 10 s (or a tenth) before expiry for long ones.
func refreshAfter(d time.Duration) time.Duration {
	if d > 100*time.Second {
		return d - max(d/10, 10*time.Second)
	}
	return d * 85 / 100
}

// waitRetry waits before the next attempt. After a network error it probes
// the registrar with OPTIONS meanwhile, so a registrar that comes back is
// noticed within seconds rather than at the end of a long backoff.
func waitRetry(ctx context.Context, r registrar, wait time.Duration, probe bool) bool {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	var tick <-chan time.Time
	if probe {
		tk := time.NewTicker(2 * time.Second)
		defer tk.Stop()
		tick = tk.C
	}
	for {
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
			return true
		case <-tick:
			if r.ping(ctx) == nil {
				return true
			}
		}
	}
}

// keepBinding sends keep-alives every period until refresh is due (true)
// or the registrar stops answering (false).
func keepBinding(ctx context.Context, r registrar, refresh, period time.Duration, log *slog.Logger) bool {
	due := time.NewTimer(refresh)
	defer due.Stop()
	tk := time.NewTicker(period)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-due.C:
			return true
		case <-tk.C:
			if err := r.ping(ctx); err != nil {
				// One retry before declaring the registrar gone (UDP loss).
				if err2 := r.ping(ctx); err2 != nil {
					log.Warn("keep-alive failed", "err", err2)
					return false
				}
			}
		}
	}
}

// ping checks the registrar: CRLF on stream transports (RFC 5626 §4.4.1)
// plus an OPTIONS request that must be answered.
func (r *registration) ping(ctx context.Context) error {
	if r.t.transport != "UDP" {
		if conn, err := r.client.TransportLayer().GetConnection(strings.ToLower(r.t.transport), r.t.dest); err == nil && conn != nil {
			if w, ok := conn.(interface{ Write([]byte) (int, error) }); ok {
				_, _ = w.Write([]byte("\r\n\r\n"))
			}
		}
	}
	req := sip.NewRequest(sip.OPTIONS, r.t.uri)
	r.prepare(req, 0, false)
	ctx, cancel := context.WithTimeout(ctx, 4*time.Second)
	defer cancel()
	_, err := r.do(ctx, req)
	return err
}

// prepare fills a request to the registrar with our headers.
func (r *registration) prepare(req *sip.Request, expiry time.Duration, register bool) {
	aor := sip.Uri{Scheme: "sip", User: r.t.user, Host: r.t.domain}
	from := &sip.FromHeader{DisplayName: r.acct.DisplayName, Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
	req.SetTransport(r.t.transport)
	req.SetDestination(r.t.dest)
	if register {
		r.cseq++
		cid := sip.CallIDHeader(r.callID)
		req.AppendHeader(&cid)
		req.AppendHeader(&sip.CSeqHeader{SeqNo: r.cseq, MethodName: sip.REGISTER})
		c := r.contact.Clone()
		req.AppendHeader(c)
		req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expiry.Seconds()))))
		req.AppendHeader(sip.NewHeader("Allow", allowed))
		req.AppendHeader(sip.NewHeader("Supported", "path, outbound, gruu"))
	}
}

// register sends one REGISTER (answering a digest challenge once) and
// returns the expiry the registrar granted.
func (r *registration) register(ctx context.Context, expiry time.Duration) (time.Duration, error) {
	req := sip.NewRequest(sip.REGISTER, r.t.uri)
	r.prepare(req, expiry, true)
	res, err := r.do(ctx, req)
	if err != nil {
		return 0, err
	}
	if r.followConnection(res) {
		// Our Contact did not name the connection this REGISTER used
		// (first attempt, or a reconnect): register again with one that
		// does, so the registrar reaches us over this connection.
		req = sip.NewRequest(sip.REGISTER, r.t.uri)
		r.prepare(req, expiry, true)
		if res, err = r.do(ctx, req); err != nil {
			return 0, err
		}
	}
	if res.StatusCode == 401 || res.StatusCode == 407 {
		if r.pw == "" {
			return 0, &regError{code: res.StatusCode, reason: "no password set for this account"}
		}
		if err := r.authorize(req, res); err != nil {
			return 0, &regError{code: res.StatusCode, reason: err.Error()}
		}
		r.cseq++
		req.CSeq().SeqNo = r.cseq
		req.RemoveHeader("Via")
		if res, err = r.do(ctx, req); err != nil {
			return 0, err
		}
	}
	if res.StatusCode == 423 {
		// Interval too brief: take the registrar's Min-Expires and try again.
		if h := res.GetHeader("Min-Expires"); h != nil {
			if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && n > 0 && time.Duration(n)*time.Second > expiry {
				return r.register(ctx, time.Duration(n)*time.Second)
			}
		}
	}
	if !res.IsSuccess() {
		e := &regError{code: res.StatusCode, reason: regReason(r.acct.Provider, res.StatusCode, res.Reason)}
		if h := res.GetHeader("Retry-After"); h != nil {
			v, _, _ := strings.Cut(strings.TrimSpace(h.Value()), ";")
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 && n < 3600 {
				e.retryAfter = time.Duration(n) * time.Second
			}
		}
		return 0, e
	}
	return grantedExpiry(res, r.contact, expiry), nil
}

func (r *registration) do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := r.client.Do(ctx, req)
	if err != nil && errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("%w: %v", errTimeout, err)
	}
	if err == nil && res == nil {
		// sipgo reports a transaction that ended (e.g. its connection
		// closed) without a response as (nil, nil).
		return nil, errNoResponse
	}
	return res, err
}

// authorize answers a 401/407 digest challenge, preferring SHA-256 over MD5
// when the registrar offers both (RFC 8760).
func (r *registration) authorize(req *sip.Request, res *sip.Response) error {
	hdrName, authName := "WWW-Authenticate", "Authorization"
	if res.StatusCode == 407 {
		hdrName, authName = "Proxy-Authenticate", "Proxy-Authorization"
	}
	chal, err := pickChallenge(res.GetHeaders(hdrName))
	if err != nil {
		return err
	}
	cred, err := digest.Digest(chal, digest.Options{Method: req.Method.String(), URI: req.Recipient.Addr(),
		Username: r.t.authUser, Password: r.pw})
	if err != nil {
		return fmt.Errorf("cannot answer the registrar's challenge: %w", err)
	}
	req.RemoveHeader(authName)
	req.AppendHeader(sip.NewHeader(authName, cred.String()))
	return nil
}

// pickChallenge chooses the strongest digest challenge we can answer.
func pickChallenge(hdrs []sip.Header) (*digest.Challenge, error) {
	var best *digest.Challenge
	rank := map[string]int{"": 1, "MD5": 1, "SHA-256": 2}
	for _, h := range hdrs {
		c, err := digest.ParseChallenge(h.Value())
		if err != nil {
			continue
		}
		c.Algorithm = strings.ToUpper(c.Algorithm)
		if rank[c.Algorithm] == 0 {
			continue
		}
		if best == nil || rank[c.Algorithm] > rank[best.Algorithm] {
			best = c
		}
	}
	if best == nil {
		return nil, errors.New("registrar asked for an authentication scheme we do not support")
	}
	return best, nil
}

// grantedExpiry reads the lifetime of our binding from a 200 to REGISTER:
// our Contact's ;expires, else the Expires header, else what we asked.
func grantedExpiry(res *sip.Response, ours sip.ContactHeader, asked time.Duration) time.Duration {
	for _, h := range res.GetHeaders("Contact") {
		ch, ok := h.(*sip.ContactHeader)
		if !ok {
			continue
		}
		if ch.Address.Host != ours.Address.Host || ch.Address.Port != ours.Address.Port || ch.Address.User != ours.Address.User {
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

// followConnection points our Contact at the local address of the TCP/TLS
// connection a response came back on (sipgo writes it into the Via
// sent-by). A registrar then reuses that connection to reach us, which is
// the only way through NAT and the only way at all for TLS, since we run no
// TLS listener. It reports whether the Contact changed.
func (r *registration) followConnection(res *sip.Response) bool {
	if r.t.transport == "UDP" {
		return false
	}
	via := res.Via()
	if via == nil || via.Host == "" || via.Port == 0 {
		return false
	}
	if r.contact.Address.Host == via.Host && r.contact.Address.Port == via.Port {
		return false
	}
	r.contact.Address.Host, r.contact.Address.Port = via.Host, via.Port
	return true
}

// unregister removes our own binding (expires=0 on our Contact, never
// "Contact: *"), bounded in time.
func (r *registration) unregister() {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	req := sip.NewRequest(sip.REGISTER, r.t.uri)
	r.prepare(req, 0, true)
	req.Contact().Params.Add("expires", "0")
	res, err := r.do(ctx, req)
	if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) && r.pw != "" {
		if r.authorize(req, res) == nil {
			r.cseq++
			req.CSeq().SeqNo = r.cseq
			req.RemoveHeader("Via")
			res, err = r.do(ctx, req)
		}
	}
	st := phone.RegStatus{State: phone.RegUnregistered, Reason: "unregistered"}
	if err != nil {
		st.Reason = "unregister failed: " + netReason(err)
	} else if !res.IsSuccess() {
		st.Reason = fmt.Sprintf("unregister refused (%d %s)", res.StatusCode, res.Reason)
	}
	r.report(st)
}
