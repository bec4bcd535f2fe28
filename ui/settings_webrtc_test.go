package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"switchboard/phone"
)

// TestSettingsRingCentralSipInfo: pasted sipInfo fills a RingCentral WSS
// account; saving stores the password in the secret store only.
func TestSettingsRingCentralSipInfo(t *testing.T) {
	h := newHarness(t, phone.Snapshot{})
	h.start(t)
	f := h.u.showAccountForm(nil)
	if err := f.fillFromSipInfo(`{"sipInfo":[{"username":"16505550100","password":"rc-pw","authorizationId":"8023988",
		"domain":"sip.ringcentral.com","outboundProxy":"sip10.ringcentral.com:8083","transport":"WSS",
		"stunServers":["stun1.ringcentral.com:19302"]}]}`); err != nil {
		t.Fatal(err)
	}
	test.Tap(f.save)
	h.wait(t)
	a, ok := h.st.Account("sip:16505550100@sip.ringcentral.com")
	if !ok || a.Provider != phone.ProviderRingCentral || a.Transport != phone.WSS ||
		a.OutboundProxy != "wss://sip10.ringcentral.com:8083" || a.AuthUser != "8023988" ||
		strings.Join(a.ICEServers, ",") != "stun:stun1.ringcentral.com:19302" {
		t.Fatalf("account = %+v", a)
	}
	if pw, err := h.secrets.Get(a.ID); err != nil || pw != "rc-pw" {
		t.Fatalf("secret = %q, %v", pw, err)
	}
	if err := f.fillFromSipInfo(`{"username":"1"}`); err == nil || !strings.Contains(err.Error(), "lacks password") {
		t.Fatalf("bad sipInfo: %v", err)
	}

	// Generic WebRTC gateway preset: WSS with a wss:// URL.
	f = h.u.showAccountForm(nil)
	f.provider.SetSelected(presetWebRTC)
	f.aor.SetText("sip:alice@pbx.example.com")
	f.proxy.SetText("wss://pbx.example.com:8089/ws")
	f.ice.SetText("stun:stun.example.com:3478")
	test.Tap(f.save)
	h.wait(t)
	g, ok := h.st.Account("sip:alice@pbx.example.com")
	if !ok || g.Transport != phone.WSS || g.OutboundProxy != "wss://pbx.example.com:8089/ws" || len(g.ICEServers) != 1 {
		t.Fatalf("gateway account = %+v (form error %q)", g, f.errLabel.Text)
	}
}
