package ringcentral

import (
	"encoding/xml"
	"fmt"
	"strings"
)

// PRc is the XML of an inbound INVITE's P-rc header (ringcentral.md 2.4/2.5).
type PRc struct {
	Hdr struct {
		SID  string `xml:"SID,attr"`
		Req  string `xml:"Req,attr"`
		From string `xml:"From,attr"`
		To   string `xml:"To,attr"`
		Cmd  string `xml:"Cmd,attr"`
	} `xml:"Hdr"`
	Bdy struct {
		Phn string `xml:"Phn,attr"`
		Nm  string `xml:"Nm,attr"`
	} `xml:"Bdy"`
}

// ParsePRc reads a P-rc header value.
func ParsePRc(v string) (PRc, error) {
	var p PRc
	if err := xml.Unmarshal([]byte(strings.TrimSpace(v)), &p); err != nil {
		return PRc{}, fmt.Errorf("P-rc header: %w", err)
	}
	if p.Hdr.From == "" {
		return PRc{}, fmt.Errorf("P-rc header has no Hdr From")
	}
	return p, nil
}

// Command codes of x-rc/agent messages sent by the client.
const (
	CmdClientForward        = 10
	CmdClientVoicemail      = 11
	CmdClientReject         = 12
	CmdClientReply          = 14
	CmdClientReceiveConfirm = 17
)

// AgentBody returns the x-rc/agent body for cmd about the call p describes:
// Hdr copies SID and Req, swaps From and To; Bdy carries Cln (our
// authorization ID).
func AgentBody(p PRc, cmd int, authorizationID string) []byte {
	return agentBodyWith(p, cmd, authorizationID, nil)
}

// agentBodyWith is AgentBody with extra Bdy attributes (forward target,
// reply text), in order.
func agentBodyWith(p PRc, cmd int, authorizationID string, extra [][2]string) []byte {
	esc := func(s string) string {
		var b strings.Builder
		_ = xml.EscapeText(&b, []byte(s))
		return strings.ReplaceAll(b.String(), `"`, "&quot;")
	}
	var attrs strings.Builder
	for _, kv := range extra {
		fmt.Fprintf(&attrs, ` %s="%s"`, kv[0], esc(kv[1]))
	}
	return []byte(fmt.Sprintf(`<Msg><Hdr SID="%s" Req="%s" From="%s" To="%s" Cmd="%d"/><Bdy Cln="%s"%s/></Msg>`,
		esc(p.Hdr.SID), esc(p.Hdr.Req), esc(p.Hdr.To), esc(p.Hdr.From), cmd, esc(authorizationID), attrs.String()))
}
