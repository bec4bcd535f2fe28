package dialplan

import (
	"testing"

	"switchboard/phone"
)

func TestNormalize(t *testing.T) {
	us := phone.DialPlan{DefaultCountry: "US", E164: true}
	for _, c := range []struct {
		in   string
		plan phone.DialPlan
		want string
		bad  bool
	}{
		{"(650) 253-0000", us, "+16502530000", false},
		{"+44 20 7946 0958", us, "+442079460958", false},
		{"tel:+1-650-253-0000", us, "+16502530000", false},
		{"030 1234567", phone.DialPlan{DefaultCountry: "DE", E164: true}, "+49301234567", false},
		{"555-0100 ext", us, "555-0100 ext", false}, // not a number: passes through
		{"sip:bob@example.com", us, "sip:bob@example.com", false},
		{"*72", us, "*72", false},
		{"(650) 253-0000", phone.DialPlan{}, "6502530000", false},
		{"12", us, "", true},
		{"6502530000", phone.DialPlan{E164: true}, "", true},
	} {
		got, err := Normalize(c.in, c.plan)
		if (err != nil) != c.bad || (!c.bad && got != c.want) {
			t.Errorf("Normalize(%q) = %q, %v; want %q (error %v)", c.in, got, err, c.want, c.bad)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	f.Add("(650) 253-0000")
	f.Add("+44 20 7946 0958")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Normalize(s, phone.DialPlan{DefaultCountry: "US", E164: true})
	})
}
