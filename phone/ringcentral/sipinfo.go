// Package ringcentral turns RingCentral's provisioning data (sipInfo, from
// POST /restapi/v1.0/client-info/sip-provision) into a WebRTC account, and
// builds the x-rc/agent messages RingCentral expects from a softphone.
package ringcentral

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"

	"switchboard/phone"
)

// SipInfo is one entry of the sip-provision response's sipInfo list.
type SipInfo struct {
	Username            string   `json:"username"` // phone number: From/To user
	Password            string   `json:"password"`
	AuthorizationID     string   `json:"authorizationId"` // digest user name
	Domain              string   `json:"domain"`
	OutboundProxy       string   `json:"outboundProxy"` // host:port
	OutboundProxyBackup string   `json:"outboundProxyBackup"`
	Transport           string   `json:"transport"` // UDP, TCP, TLS, WSS
	StunServers         []string `json:"stunServers"`
	SwitchBackInterval  int      `json:"switchBackInterval"`
}

// Parse reads pasted sipInfo JSON: the whole sip-provision response
// ({"sipInfo":[...]}), the sipInfo list, or one sipInfo object. It picks
// the WSS entry (else the first) and checks the fields an account needs;
// errors say in words what is missing.
func Parse(data []byte) (SipInfo, error) {
	data = []byte(strings.TrimSpace(string(data)))
	if len(data) == 0 {
		return SipInfo{}, errors.New("the sipInfo text is empty")
	}
	var list []SipInfo
	switch data[0] {
	case '[':
		if err := json.Unmarshal(data, &list); err != nil {
			return SipInfo{}, fmt.Errorf("not valid sipInfo JSON: %w", err)
		}
	case '{':
		var wrap struct {
			SipInfo json.RawMessage `json:"sipInfo"`
		}
		if err := json.Unmarshal(data, &wrap); err != nil {
			return SipInfo{}, fmt.Errorf("not valid sipInfo JSON: %w", err)
		}
		if len(wrap.SipInfo) > 0 {
			if err := json.Unmarshal(wrap.SipInfo, &list); err != nil {
				var one SipInfo
				if err2 := json.Unmarshal(wrap.SipInfo, &one); err2 != nil {
					return SipInfo{}, fmt.Errorf("not valid sipInfo JSON: %w", err)
				}
				list = []SipInfo{one}
			}
		} else {
			var one SipInfo
			if err := json.Unmarshal(data, &one); err != nil {
				return SipInfo{}, fmt.Errorf("not valid sipInfo JSON: %w", err)
			}
			list = []SipInfo{one}
		}
	default:
		return SipInfo{}, errors.New("not sipInfo JSON: it should start with { or [")
	}
	if len(list) == 0 {
		return SipInfo{}, errors.New("the sipInfo list is empty")
	}
	si := list[0]
	for _, s := range list {
		if strings.EqualFold(s.Transport, "WSS") {
			si = s
			break
		}
	}
	var missing []string
	for _, f := range []struct{ name, v string }{{"username", si.Username}, {"password", si.Password},
		{"domain", si.Domain}, {"outboundProxy", si.OutboundProxy}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return SipInfo{}, fmt.Errorf("sipInfo lacks %s", strings.Join(missing, ", "))
	}
	if si.Transport != "" && !strings.EqualFold(si.Transport, "WSS") {
		return SipInfo{}, fmt.Errorf("this sipInfo is for transport %s; provision it with {\"sipInfo\":[{\"transport\":\"WSS\"}]}", si.Transport)
	}
	return si, nil
}

// Account returns the WebRTC account for si (password excluded: store it
// in the keyring under the account ID). The WebSocket is
// wss://<outboundProxy> with no path; STUN servers become ICE servers.
func (si SipInfo) Account() phone.Account {
	auth := si.AuthorizationID
	if auth == "" {
		auth = si.Username
	}
	a := phone.Account{
		ID:            "ringcentral-" + si.Username,
		DisplayName:   si.Username,
		AOR:           "sip:" + si.Username + "@" + si.Domain,
		AuthUser:      auth,
		OutboundProxy: "wss://" + si.OutboundProxy,
		Transport:     phone.WSS,
		Provider:      phone.ProviderRingCentral,
		Enabled:       true,
	}
	for _, s := range si.StunServers {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(s); err != nil {
			s += ":3478"
		}
		a.ICEServers = append(a.ICEServers, "stun:"+s)
	}
	return a
}

// SecretSetter stores a password for an account ID (app.SecretStore does).
type SecretSetter interface {
	Set(account, secret string) error
}

// Import parses pasted sipInfo, stores its password with secrets under
// the account's ID and returns the account (which holds no password).
func Import(data []byte, secrets SecretSetter) (phone.Account, error) {
	si, err := Parse(data)
	if err != nil {
		return phone.Account{}, err
	}
	a := si.Account()
	if err := a.Validate(); err != nil {
		return phone.Account{}, fmt.Errorf("sipInfo gives an unusable account: %w", err)
	}
	if err := secrets.Set(a.ID, si.Password); err != nil {
		return phone.Account{}, fmt.Errorf("could not store the password in the keyring: %w", err)
	}
	return a, nil
}
