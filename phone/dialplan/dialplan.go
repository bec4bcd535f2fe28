// Package dialplan turns what a user types or pastes into something to
// dial: it strips formatting noise from phone numbers and, where the account
// asks for it, normalises them to E.164 with github.com/nyaruka/phonenumbers
// (a port of Google's libphonenumber).
package dialplan

import (
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"switchboard/phone"
)

// IsNumber reports whether s looks like a phone number (digits with
// optional +, spaces, dashes, dots, parentheses) rather than a SIP address
// or user name. Feature codes such as *72 or #31# count as numbers.
func IsNumber(s string) bool {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "tel:"))
	digits := 0
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '+' && i == 0:
		case strings.ContainsRune(" -.()/\u00a0*#", c):
		default:
			return false
		}
	}
	return digits > 0
}

// Clean removes formatting noise from a number: "(555) 123-4567" becomes
// "5551234567"; a leading + and the characters * and # are kept.
func Clean(s string) string {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "tel:"))
	var b strings.Builder
	for i, c := range s {
		if c >= '0' && c <= '9' || c == '*' || c == '#' || (c == '+' && i == 0) {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// Normalize prepares a dialled number for plan. Non-numbers (SIP URIs,
// user names) pass through untouched. With plan.E164 a number becomes
// +E.164, read in plan.DefaultCountry when it has no + prefix; an
// impossible number gives an error a user can act on.
func Normalize(input string, plan phone.DialPlan) (string, error) {
	if !IsNumber(input) {
		return strings.TrimSpace(input), nil
	}
	n := Clean(input)
	if !plan.E164 || strings.ContainsAny(n, "*#") {
		return n, nil
	}
	region := strings.ToUpper(plan.DefaultCountry)
	if region == "" && !strings.HasPrefix(n, "+") {
		return "", fmt.Errorf("%q has no country code; start it with + or set the account's default country", input)
	}
	num, err := phonenumbers.Parse(n, region)
	if err != nil {
		return "", fmt.Errorf("%q is not a phone number: %v", input, err)
	}
	if !phonenumbers.IsPossibleNumber(num) {
		return "", fmt.Errorf("%q is not a possible phone number in %s (wrong length?)", input, regionName(num, region))
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

func regionName(num *phonenumbers.PhoneNumber, region string) string {
	if r := phonenumbers.GetRegionCodeForNumber(num); r != "" {
		return r
	}
	if region != "" {
		return region
	}
	return "any country"
}
