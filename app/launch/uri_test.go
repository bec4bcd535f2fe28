package launch

import "testing"

func TestParseLink(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"sip:alice@example.com", "sip:alice@example.com", true},
		{"SIP:alice@example.com", "sip:alice@example.com", true},
		{"sip://alice@example.com/", "sip:alice@example.com", true},
		{"sips:alice@example.com:5061", "sips:alice@example.com:5061", true},
		{"sip:bob@127.0.0.1:5080;transport=tcp", "sip:bob@127.0.0.1:5080;transport=tcp", true},
		{"tel:+15551234567", "tel:+15551234567", true},
		{"tel:+1-555-123-4567;phone-context=example.com", "tel:+1-555-123-4567", true},
		{"tel:%2B15551234567", "tel:+15551234567", true},
		{"callto:alice@example.com", "sip:alice@example.com", true},
		{"callto://alice@example.com", "sip:alice@example.com", true},
		{"callto:+15551234567", "tel:+15551234567", true},
		{"callto://+15551234567/", "tel:+15551234567", true},
		{"callto:sip:alice@example.com", "sip:alice@example.com", true},
		{"callto:tel:+1555", "tel:+1555", true},
		{"sip:", "", false},
		{"tel:;ext=1", "", false},
		{"http://example.com", "", false},
		{"--help", "", false},
		{"cli", "", false},
		{"", "", false},
	} {
		got, ok := ParseLink(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseLink(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func FuzzParseLink(f *testing.F) {
	for _, s := range []string{"sip:a@b", "tel:+1", "callto://x@y", "callto:sip:z", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, ok := ParseLink(s); ok && got == "" {
			t.Fatalf("ParseLink(%q) ok with an empty target", s)
		}
	})
}
