package sip

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"switchboard/phone"
)

// fakeRegistrar scripts registrar answers and records when each REGISTER
// was sent (in synctest's fake time).
type fakeRegistrar struct {
	mu       sync.Mutex
	answers  []error         // per attempt; nil = 200
	granted  time.Duration   // expiry in each 200
	attempts []time.Duration // since start
	pings    int
	pingErr  error
	unreg    int
	start    time.Time
}

func (f *fakeRegistrar) register(ctx context.Context, d time.Duration) (time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts = append(f.attempts, time.Since(f.start))
	i := len(f.attempts) - 1
	if i < len(f.answers) && f.answers[i] != nil {
		return 0, f.answers[i]
	}
	return f.granted, nil
}

func (f *fakeRegistrar) ping(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pings++
	return f.pingErr
}

func (f *fakeRegistrar) unregister()        { f.mu.Lock(); f.unreg++; f.mu.Unlock() }
func (f *fakeRegistrar) contactURI() string { return "sip:alice@127.0.0.1:5060" }

func runFake(t *testing.T, f *fakeRegistrar, runFor time.Duration) []phone.RegStatus {
	t.Helper()
	var mu sync.Mutex
	var got []phone.RegStatus
	f.start = time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), runFor)
	defer cancel()
	_ = runRegistration(ctx, f, phone.Account{ID: "a", Expiry: 120 * time.Second}, func(s phone.RegStatus) {
		mu.Lock()
		got = append(got, s)
		mu.Unlock()
	}, 25*time.Second, slog.New(slog.DiscardHandler))
	return got
}

func TestRegistrationRefreshesBeforeExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeRegistrar{granted: 60 * time.Second}
		runFake(t, f, 150*time.Second)
		// 60 s granted -> refresh at 51 s: attempts at 0, 51, 102 (and 153 is after the end).
		want := []time.Duration{0, 51 * time.Second, 102 * time.Second}
		if len(f.attempts) != len(want) {
			t.Fatalf("attempts at %v, want %v", f.attempts, want)
		}
		for i := range want {
			if f.attempts[i] != want[i] {
				t.Fatalf("attempt %d at %v, want %v", i, f.attempts[i], want[i])
			}
		}
		if f.pings < 4 { // every 25 s
			t.Fatalf("only %d keep-alives in 150 s", f.pings)
		}
		if f.unreg != 1 {
			t.Fatalf("unregistered %d times, want 1", f.unreg)
		}
	})
}

func TestRegistrationBacksOffWithoutStorm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		wrong := &regError{code: 401, reason: "wrong password"}
		f := &fakeRegistrar{granted: 60 * time.Second}
		for range 20 {
			f.answers = append(f.answers, wrong)
		}
		got := runFake(t, f, 200*time.Second)
		// Gaps double from about 2 s (±20 % jitter) up to 60 s: one attempt per step.
		for i := 1; i < len(f.attempts); i++ {
			gap := f.attempts[i] - f.attempts[i-1]
			nominal := min(backoffMin<<(i-1), backoffMax)
			if gap < nominal*8/10 || gap > nominal*12/10 {
				t.Fatalf("gap %d = %v, want %v ±20%% (attempts %v)", i, gap, nominal, f.attempts)
			}
		}
		if n := len(f.attempts); n < 5 || n > 8 {
			t.Fatalf("%d attempts in 200 s, want a handful", n)
		}
		var failed bool
		for _, s := range got {
			if s.State == phone.RegFailed {
				failed = true
				if s.Reason != "wrong password" || s.Code != 401 {
					t.Fatalf("failure status %+v", s)
				}
			}
		}
		if !failed {
			t.Fatal("no failed status reported")
		}
	})
}

func TestRegistrationHonoursRetryAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeRegistrar{granted: 60 * time.Second,
			answers: []error{&regError{code: 503, reason: "busy", retryAfter: 17 * time.Second}}}
		runFake(t, f, 20*time.Second)
		if len(f.attempts) != 2 || f.attempts[1] != 17*time.Second {
			t.Fatalf("attempts %v, want second at 17s", f.attempts)
		}
	})
}

func TestRegistrationRecoversWhenRegistrarReturns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// A network error, then the registrar answers pings again after 5 s:
		// the next attempt must not wait for the whole backoff.
		f := &fakeRegistrar{granted: 60 * time.Second, pingErr: errors.New("down")}
		for range 6 {
			f.answers = append(f.answers, errors.New("connection refused"))
		}
		go func() {
			time.Sleep(40 * time.Second) // fake time: the outage lasts 40 s
			f.mu.Lock()
			f.pingErr = nil
			f.answers = f.answers[:len(f.attempts)]
			f.mu.Unlock()
		}()
		runFake(t, f, 50*time.Second)
		last := f.attempts[len(f.attempts)-1]
		if last < 40*time.Second || last > 43*time.Second {
			t.Fatalf("attempts %v: want one within 3 s of the registrar's return at 40 s", f.attempts)
		}
	})
}

func TestRefreshAfter(t *testing.T) {
	for _, c := range []struct{ in, want time.Duration }{
		{60 * time.Second, 51 * time.Second},
		{3600 * time.Second, 3240 * time.Second},
		{120 * time.Second, 108 * time.Second},
	} {
		if got := refreshAfter(c.in); got != c.want {
			t.Errorf("refreshAfter(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestPickChallengePrefersSHA256(t *testing.T) {
	h := []sip.Header{
		sip.NewHeader("WWW-Authenticate", `Digest realm="x", nonce="1", algorithm=MD5`),
		sip.NewHeader("WWW-Authenticate", `Digest realm="x", nonce="2", algorithm=SHA-256`),
	}
	c, err := pickChallenge(h)
	if err != nil || c.Algorithm != "SHA-256" || c.Nonce != "2" {
		t.Fatalf("got %+v, %v", c, err)
	}
	if _, err := pickChallenge([]sip.Header{sip.NewHeader("WWW-Authenticate", `Basic realm="x"`)}); err == nil {
		t.Fatal("Basic challenge accepted")
	}
}

func TestGrantedExpiry(t *testing.T) {
	ours := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "alice", Host: "127.0.0.1", Port: 5070}}
	res := sip.NewResponse(200, "OK")
	res.AppendHeader(sip.NewHeader("Expires", "300"))
	if got := grantedExpiry(res, ours, time.Hour); got != 300*time.Second {
		t.Fatalf("Expires header: %v", got)
	}
	other := &sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "alice", Host: "10.0.0.9", Port: 5060}, Params: sip.NewParams()}
	other.Params.Add("expires", "30")
	mine := &sip.ContactHeader{Address: ours.Address, Params: sip.NewParams()}
	mine.Params.Add("expires", "90")
	res.AppendHeader(other)
	res.AppendHeader(mine)
	if got := grantedExpiry(res, ours, time.Hour); got != 90*time.Second {
		t.Fatalf("own Contact expires: %v, want 90s", got)
	}
	if got := grantedExpiry(sip.NewResponse(200, "OK"), ours, 42*time.Second); got != 42*time.Second {
		t.Fatalf("fallback: %v", got)
	}
}

func TestRegReasons(t *testing.T) {
	for _, c := range []struct {
		p      phone.Provider
		code   int
		phrase string
		want   string
	}{
		{phone.ProviderGeneric, 401, "Unauthorized", "wrong password"},
		{phone.ProviderGeneric, 404, "Not Found", "unknown user or wrong domain"},
		{phone.ProviderGeneric, 603, "Too Many Contacts", "too many devices registered (603)"},
		{phone.ProviderSinch, 403, "Forbidden", "this IP address or domain is not allowed on the Sinch trunk (403)"},
		{phone.ProviderSinch, 603, "Decline", "over the Sinch calls-per-second limit (603)"},
	} {
		if got := regReason(c.p, c.code, c.phrase); got != c.want {
			t.Errorf("%s %d: %q, want %q", c.p, c.code, got, c.want)
		}
	}
}
