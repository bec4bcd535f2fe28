package ringcentral

import (
	"strings"
	"testing"

	"switchboard/phone"
)

type memSecrets map[string]string

func (m memSecrets) Set(a, s string) error { m[a] = s; return nil }

const provision = `{"device":{"id":"801"},"sipInfo":[{"username":"16505550100","password":"p@ss w0rd",
 "authorizationId":"802398808016","domain":"sip.ringcentral.com","outboundProxy":"sip10.ringcentral.com:8083",
 "outboundProxyBackup":"sip20.ringcentral.com:8083","transport":"WSS","stunServers":["stun1.ringcentral.com:19302","stun2.ringcentral.com"]}],
 "pollingInterval":86400}`

func TestImportSipInfo(t *testing.T) {
	sec := memSecrets{}
	a, err := Import([]byte(provision), sec)
	if err != nil {
		t.Fatal(err)
	}
	want := phone.Account{ID: "ringcentral-16505550100", DisplayName: "16505550100", AOR: "sip:16505550100@sip.ringcentral.com",
		AuthUser: "802398808016", OutboundProxy: "wss://sip10.ringcentral.com:8083", Transport: phone.WSS,
		Provider: phone.ProviderRingCentral, Enabled: true}
	if a.AOR != want.AOR || a.AuthUser != want.AuthUser || a.OutboundProxy != want.OutboundProxy || a.Transport != want.Transport ||
		a.Provider != want.Provider || a.ID != want.ID {
		t.Fatalf("account %+v", a)
	}
	if strings.Join(a.ICEServers, " ") != "stun:stun1.ringcentral.com:19302 stun:stun2.ringcentral.com:3478" {
		t.Fatalf("ICE servers %v", a.ICEServers)
	}
	if sec[a.ID] != "p@ss w0rd" {
		t.Fatalf("password not stored under %s: %v", a.ID, sec)
	}
	// A bare object and a list parse too.
	for _, in := range []string{
		`{"username":"1","password":"x","domain":"d","outboundProxy":"h:1"}`,
		`[{"username":"1","password":"x","domain":"d","outboundProxy":"h:1","transport":"TLS"},{"username":"2","password":"x","domain":"d","outboundProxy":"h:2","transport":"WSS"}]`,
	} {
		si, err := Parse([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if si.Username == "" {
			t.Fatal("no username")
		}
	}
}

func TestBadSipInfo(t *testing.T) {
	for in, want := range map[string]string{
		"":                              "empty",
		"hello":                         "should start with",
		`{"sipInfo":[]}`:                "list is empty",
		`{"username":"1","domain":"d"}`: "lacks password, outboundProxy",
		`{"sipInfo":[{"username":"1","password":"x","domain":"d","outboundProxy":"h:1","transport":"TLS"}]}`: "transport TLS",
		`{"sipInfo":`: "not valid",
	} {
		_, err := Import([]byte(in), memSecrets{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
}

func TestAgentBody(t *testing.T) {
	p, err := ParsePRc(`<Msg><Hdr SID="35482343635848" Req="{17EA740D-1}" From="#1032016@sip.ringcentral.com:5060" To="16505550100*101" Cmd="6"/><Bdy SrvLvl="-149699523" Phn="+16505550199" Nm="WIRELESS CALLER" ToPhn="+16505550100" ToNm="Alice"/></Msg>`)
	if err != nil {
		t.Fatal(err)
	}
	got := string(AgentBody(p, CmdClientReceiveConfirm, "802398808016"))
	want := `<Msg><Hdr SID="35482343635848" Req="{17EA740D-1}" From="16505550100*101" To="#1032016@sip.ringcentral.com:5060" Cmd="17"/><Bdy Cln="802398808016"/></Msg>`
	if got != want {
		t.Fatalf("body\n got %s\nwant %s", got, want)
	}
	if p.Bdy.Phn != "+16505550199" {
		t.Fatalf("caller %q", p.Bdy.Phn)
	}
}
