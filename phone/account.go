package phone

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Transport is the SIP transport of an account.
type Transport string

// Transports Switchboard speaks. ws/wss arrive with the WebRTC work.
const (
	UDP Transport = "udp"
	TCP Transport = "tcp"
	TLS Transport = "tls"
	WS  Transport = "ws"
	WSS Transport = "wss"
)

// SRTPPolicy says whether a call's media must, may or must not be encrypted.
type SRTPPolicy string

// SRTP policies.
const (
	SRTPOff       SRTPPolicy = "off"
	SRTPOptional  SRTPPolicy = "optional"
	SRTPMandatory SRTPPolicy = "mandatory"
)

// Provider selects provider-specific behaviour (error meanings, number format).
type Provider string

// Providers with presets.
const (
	ProviderGeneric     Provider = "generic"
	ProviderSinch       Provider = "sinch"
	ProviderRingCentral Provider = "ringcentral" // WSS + sipInfo (phone/ringcentral)
)

// DialPlan turns what a user types into a dialable number.
type DialPlan struct {
	// DefaultCountry is an ISO 3166 region ("US", "DE") used to read national numbers.
	DefaultCountry string `json:"default_country,omitempty"`
	// E164 makes dialled numbers +E.164 (Sinch requires it).
	E164 bool `json:"e164,omitempty"`
}

// Account is one SIP identity. It holds no password: that comes from the
// keyring at registration time and is never stored here.
type Account struct {
	ID            string        `json:"id"`
	DisplayName   string        `json:"display_name,omitempty"`
	AOR           string        `json:"aor"`                 // sip:alice@example.com
	AuthUser      string        `json:"auth_user,omitempty"` // defaults to the AOR user
	Registrar     string        `json:"registrar,omitempty"` // sip:host[:port]; defaults to the AOR domain
	OutboundProxy string        `json:"outbound_proxy,omitempty"`
	Transport     Transport     `json:"transport,omitempty"`
	Port          int           `json:"port,omitempty"` // registrar port override
	Expiry        time.Duration `json:"expiry,omitempty"`
	CallerID      string        `json:"caller_id,omitempty"`
	DialPlan      DialPlan      `json:"dial_plan"`
	SRTP          SRTPPolicy    `json:"srtp,omitempty"`
	Provider      Provider      `json:"provider,omitempty"`
	CAFile        string        `json:"ca_file,omitempty"` // extra CA to trust for TLS
	Codecs        []string      `json:"codecs,omitempty"`  // preference order
	Enabled       bool          `json:"enabled"`
	// Register false means the account only places calls (trunks with IP auth).
	NoRegister bool `json:"no_register,omitempty"`
	// ICEServers are STUN/TURN URLs for WebRTC (ws/wss) accounts, e.g.
	// "stun:stun.example.com:3478".
	ICEServers []string `json:"ice_servers,omitempty"`

	// Call handling (agents): where Park sends a call (extension or
	// feature code such as "*700"); the user's other devices Flip offers;
	// answer every inbound call automatically (headsets), after a beep.
	ParkCode   string   `json:"park_code,omitempty"`
	MyDevices  []Device `json:"my_devices,omitempty"`
	AutoAnswer bool     `json:"auto_answer,omitempty"`
	// Forwarding sends inbound calls on (302, or the provider's command).
	Forwarding Forwarding `json:"forwarding,omitzero"`
}

// Forwarding rules for inbound calls; an empty target turns a rule off.
type Forwarding struct {
	Always        string `json:"always,omitempty"`          // every call
	Busy          string `json:"busy,omitempty"`            // while on another call
	NoAnswer      string `json:"no_answer,omitempty"`       // after ringing NoAnswerAfter seconds
	NoAnswerAfter int    `json:"no_answer_after,omitempty"` // seconds; 0: DefaultNoAnswerAfter
}

// Device is one of the user's own phones a call can be flipped to.
type Device struct {
	Name   string `json:"name"`   // "Mobile", "Desk phone"
	Target string `json:"target"` // number or SIP URI
}

// DefaultExpiry is the registration lifetime asked for when none is set.
const DefaultExpiry = 600 * time.Second

// SinchPreset returns an account for Sinch Elastic SIP Trunking: domain
// {trunk}.pstn.sinch.com, E.164 numbers in From/To/Request-URI.
func SinchPreset(trunk, user string) Account {
	domain := trunk + ".pstn.sinch.com"
	return Account{
		ID: "sinch-" + trunk, AOR: "sip:" + user + "@" + domain, Transport: UDP,
		Provider: ProviderSinch, DialPlan: DialPlan{DefaultCountry: "US", E164: true},
		SRTP: SRTPOff, Enabled: true,
	}
}

// WebRTCGatewayPreset returns a generic WebRTC gateway account
// (FreeSWITCH, Asterisk, Kamailio): the server's wss:// URL, the SIP
// domain and user, and optional STUN/TURN servers. The password goes to the
// keyring, not here.
func WebRTCGatewayPreset(wssURL, domain, user string, iceServers []string) Account {
	return Account{ID: "webrtc-" + user + "@" + domain, AOR: "sip:" + user + "@" + domain, Transport: WSS,
		OutboundProxy: wssURL, ICEServers: iceServers, Provider: ProviderGeneric, Enabled: true}
}

// GenericPreset returns an empty generic SIP account.
func GenericPreset() Account {
	return Account{Transport: UDP, Provider: ProviderGeneric, SRTP: SRTPOptional, Enabled: true}
}

// FieldError says which account field is wrong and why, in words for a user.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Validate checks an account and returns a *FieldError with a human message
// for the first problem found.
func (a Account) Validate() error {
	u, err := ParseURI(a.AOR)
	if err != nil {
		return &FieldError{"SIP address", err.Error()}
	}
	if u.User == "" {
		return &FieldError{"SIP address", "needs a user part, like sip:alice@example.com"}
	}
	if err := ValidateUser(u.User); err != nil {
		return &FieldError{"SIP address", err.Error()}
	}
	if a.AuthUser != "" {
		if err := ValidateUser(a.AuthUser); err != nil {
			return &FieldError{"auth user", err.Error()}
		}
	}
	if strings.ContainsAny(a.DisplayName, "\"<>\r\n") {
		return &FieldError{"display name", "may not contain quotes, angle brackets or line breaks"}
	}
	switch a.Transport {
	case "", UDP, TCP, TLS, WS, WSS:
	default:
		return &FieldError{"transport", fmt.Sprintf("%q is not one of udp, tcp, tls, ws, wss", a.Transport)}
	}
	if a.Port < 0 || a.Port > 65535 {
		return &FieldError{"port", "must be between 1 and 65535"}
	}
	for _, f := range []struct{ name, v string }{{"registrar", a.Registrar}, {"outbound proxy", a.OutboundProxy}} {
		if f.v == "" {
			continue
		}
		if (a.Transport == WS || a.Transport == WSS) && f.name == "outbound proxy" &&
			(strings.HasPrefix(f.v, "ws://") || strings.HasPrefix(f.v, "wss://")) {
			// A WebSocket server URL (wss://host:port/path).
			if _, err := url.Parse(f.v); err != nil {
				return &FieldError{f.name, err.Error()}
			}
			continue
		}
		if _, err := ParseURI(f.v); err != nil {
			return &FieldError{f.name, err.Error()}
		}
	}
	if a.Expiry != 0 && (a.Expiry < 30*time.Second || a.Expiry > 24*time.Hour) {
		return &FieldError{"register expiry", "must be between 30 s and 24 h"}
	}
	switch a.SRTP {
	case "", SRTPOff, SRTPOptional, SRTPMandatory:
	default:
		return &FieldError{"SRTP", fmt.Sprintf("%q is not off, optional or mandatory", a.SRTP)}
	}
	return nil
}

// ValidateUser checks a SIP login or auth name: RFC 3261 "user" characters
// only (unreserved, escaped and a few marks). "Ralf C12441" (space) and
// names with <, >, @ or quotes are rejected with a message saying which
// character is wrong.
func ValidateUser(user string) error {
	if user == "" {
		return fmt.Errorf("is empty")
	}
	for i := 0; i < len(user); i++ {
		c := user[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("-_.!~*'()&=+$,;?/", c) >= 0: // unreserved + user-unreserved
		case c == '%' && i+2 < len(user) && isHex(user[i+1]) && isHex(user[i+2]):
			i += 2
		case c == ' ':
			return fmt.Errorf("%q contains a space; use the login exactly as your provider gave it (for example with _ instead of the space)", user)
		default:
			return fmt.Errorf("%q contains %q, which is not allowed in a SIP user name", user, string(c))
		}
	}
	return nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// URI is a parsed sip:, sips: or tel: address, enough for validation and
// display. Wire handling uses the SIP library's own parser.
type URI struct {
	Scheme string // sip, sips, tel
	User   string
	Host   string
	Port   int
	Params string // ";transport=tcp" etc., raw
}

// String renders the URI.
func (u URI) String() string {
	if u.Scheme == "tel" {
		return "tel:" + u.User
	}
	s := u.Scheme + ":"
	if u.User != "" {
		s += u.User + "@"
	}
	if strings.Contains(u.Host, ":") {
		s += "[" + u.Host + "]"
	} else {
		s += u.Host
	}
	if u.Port != 0 {
		s += fmt.Sprintf(":%d", u.Port)
	}
	return s + u.Params
}

// ParseURI parses sip:user@host[:port][;params], sips:..., tel:+number, or a
// bare user@host / host[:port] (taken as sip:). It returns a human error.
func ParseURI(s string) (URI, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return URI{}, fmt.Errorf("is empty")
	}
	if strings.ContainsAny(s, "<> \t\r\n\"") {
		return URI{}, fmt.Errorf("%q has spaces, quotes or angle brackets; write it like sip:alice@example.com", s)
	}
	var u URI
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "sip:"):
		u.Scheme, s = "sip", s[4:]
	case strings.HasPrefix(lower, "sips:"):
		u.Scheme, s = "sips", s[5:]
	case strings.HasPrefix(lower, "tel:"):
		u.Scheme, u.User = "tel", s[4:]
		if u.User == "" {
			return URI{}, fmt.Errorf("tel: address has no number")
		}
		return u, nil
	case strings.Contains(s, ":") && !strings.Contains(s, "@") && strings.Count(s, ":") == 1 && !strings.ContainsAny(s[:strings.Index(s, ":")], ".0123456789"):
		return URI{}, fmt.Errorf("%q: only sip:, sips: and tel: addresses are supported", s)
	default:
		u.Scheme = "sip"
	}
	if i := strings.IndexByte(s, ';'); i >= 0 {
		s, u.Params = s[:i], s[i:]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		u.User, s = s[:i], s[i+1:]
		if u.User == "" {
			return URI{}, fmt.Errorf("empty user before @")
		}
	}
	host, port := s, ""
	if strings.HasPrefix(s, "[") { // IPv6
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return URI{}, fmt.Errorf("%q: unclosed [ in IPv6 address", s)
		}
		host, port = s[1:end], strings.TrimPrefix(s[end+1:], ":")
	} else if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
	}
	if host == "" {
		return URI{}, fmt.Errorf("has no host; write it like sip:alice@example.com")
	}
	for _, c := range host {
		if !(c == '.' || c == '-' || c == ':' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return URI{}, fmt.Errorf("host %q contains %q", host, string(c))
		}
	}
	u.Host = host
	if port != "" {
		var p int
		if _, err := fmt.Sscanf(port, "%d", &p); err != nil || p < 1 || p > 65535 || fmt.Sprint(p) != port {
			return URI{}, fmt.Errorf("port %q is not a number between 1 and 65535", port)
		}
		u.Port = p
	}
	return u, nil
}
