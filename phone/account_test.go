package phone

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateUser(t *testing.T) {
	for _, c := range []struct {
		user string
		ok   bool
	}{
		{"Ralf_C12441", true},
		{"alice", true},
		{"+15551234567", true},
		{"bob%20smith", true},
		{"Ralf C12441", false},
		{"<alice>", false},
		{"alice@host", false},
		{`"quoted"`, false},
		{"", false},
		{"bad%2", false},
	} {
		err := ValidateUser(c.user)
		if (err == nil) != c.ok {
			t.Errorf("ValidateUser(%q) = %v, want ok=%v", c.user, err, c.ok)
		}
	}
}

func TestAccountValidate(t *testing.T) {
	good := Account{AOR: "sip:Ralf_C12441@host.com", DisplayName: "Ralf C (support)", Transport: TLS}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid account rejected: %v", err)
	}
	for _, c := range []struct {
		name  string
		a     Account
		field string
		says  string
	}{
		{"space in login", Account{AOR: "sip:Ralf C12441@host.com"}, "SIP address", "space"},
		{"angle brackets", Account{AOR: "<sip:alice@host.com>"}, "SIP address", "angle brackets"},
		{"no user", Account{AOR: "sip:host.com"}, "SIP address", "user part"},
		{"auth user", Account{AOR: "sip:a@h.com", AuthUser: "Ralf C12441"}, "auth user", "space"},
		{"transport", Account{AOR: "sip:a@h.com", Transport: "sctp"}, "transport", "sctp"},
		{"registrar", Account{AOR: "sip:a@h.com", Registrar: "sip:h.com:99999"}, "registrar", "port"},
		{"display name", Account{AOR: "sip:a@h.com", DisplayName: `a "b"`}, "display name", "quotes"},
	} {
		err := c.a.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Errorf("%s: got %v, want a FieldError", c.name, err)
			continue
		}
		if fe.Field != c.field || !strings.Contains(fe.Message, c.says) {
			t.Errorf("%s: got %q, want field %q mentioning %q", c.name, err, c.field, c.says)
		}
	}
}

func TestParseURI(t *testing.T) {
	for in, want := range map[string]string{
		"sip:alice@example.com":        "sip:alice@example.com",
		"alice@127.0.0.1:5070":         "sip:alice@127.0.0.1:5070",
		"sips:bob@[::1]:5061":          "sips:bob@[::1]:5061",
		"tel:+15551234567":             "tel:+15551234567",
		"sip:alice@host;transport=tcp": "sip:alice@host;transport=tcp",
		"127.0.0.1:5080":               "sip:127.0.0.1:5080",
		"SIP:Carol@Example.com":        "sip:Carol@Example.com",
	} {
		u, err := ParseURI(in)
		if err != nil || u.String() != want {
			t.Errorf("ParseURI(%q) = %q, %v; want %q", in, u.String(), err, want)
		}
	}
	for _, bad := range []string{"", "sip:", "sip:alice@", "http:x", "sip:a@b:0", "sip:a@b c", "sip:a@ho$t"} {
		if _, err := ParseURI(bad); err == nil {
			t.Errorf("ParseURI(%q) accepted", bad)
		}
	}
}

func FuzzParseURI(f *testing.F) {
	for _, s := range []string{"sip:alice@example.com:5060;transport=tcp", "tel:+1555", "[::1]:5060", "a@b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURI(s)
		if err != nil {
			return
		}
		// A parsed URI must parse again to the same thing.
		u2, err := ParseURI(u.String())
		if err != nil && u.Scheme != "tel" {
			t.Fatalf("%q -> %q does not parse again: %v", s, u.String(), err)
		}
		if err == nil && u2.String() != u.String() {
			t.Fatalf("%q -> %q -> %q", s, u.String(), u2.String())
		}
	})
}

func TestCauseFromStatus(t *testing.T) {
	for code, want := range map[int]EndCause{486: CauseBusy, 600: CauseBusy, 603: CauseDeclined, 404: CauseNotFound,
		480: CauseUnavailable, 408: CauseTimeout, 407: CauseAuth, 487: CauseCancelled, 488: CauseMedia, 499: CauseRejected} {
		if got := CauseFromStatus(code); got != want {
			t.Errorf("%d: %s, want %s", code, got, want)
		}
	}
}
