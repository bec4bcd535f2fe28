package ringcentral

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestControlCommand: a command's INFO carries reqid and command; the
// server's result INFO (matched by both, either reqid spelling) completes
// it; an unrelated INFO is not taken.
func TestControlCommand(t *testing.T) {
	var c *Control
	var sent []string
	c = &Control{SendInfo: func(_ context.Context, ct string, body []byte) error {
		sent = append(sent, string(body))
		var r infoRequest
		if err := json.Unmarshal(body, &r); err != nil || ct != "application/json;charset=utf-8" {
			t.Fatalf("INFO %s %q: %v", ct, body, err)
		}
		if c.HandleInfo([]byte(`{"response":{"reqid":99,"command":"callflip","result":{"code":0}}}`)) {
			t.Error("a result for another reqid was taken")
		}
		resp := `{"response":{"reqid":` + itoa(r.Request.ReqID) + `,"command":"` + r.Request.Command +
			`","result":{"code":0,"description":"Succeeded","number":"+16506668888","target":"16506668888"}}}`
		if r.Request.ReqID == 2 { // 1.x spelling
			resp = strings.Replace(resp, `"reqid"`, `"reqId"`, 1)
		}
		go c.HandleInfo([]byte(resp)) // the server's INFO arrives on another goroutine
		return nil
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := c.Command(ctx, "callflip", "16506668888")
	if err != nil || r.Code != 0 || r.Number != "+16506668888" {
		t.Fatalf("flip: %+v %v", r, err)
	}
	if !strings.Contains(sent[0], `"reqid":1,"command":"callflip","target":"16506668888"`) {
		t.Errorf("request %s", sent[0])
	}
	if r, err := c.Command(ctx, "startcallrecord", ""); err != nil || r.Description != "Succeeded" {
		t.Fatalf("record: %+v %v", r, err)
	}
	if strings.Contains(sent[1], "target") {
		t.Errorf("record request has a target: %s", sent[1])
	}
	// No result: the wait ends with the context and a clear message.
	c.SendInfo = func(context.Context, string, []byte) error { return nil }
	short, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := c.Command(short, "callpark", ""); err == nil || !strings.Contains(err.Error(), "did not report") {
		t.Fatalf("no result: %v", err)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestControlAgent: agent commands wait for the receive-confirm and carry
// their attributes (forward target, reply text escaped).
func TestControlAgent(t *testing.T) {
	p, err := ParsePRc(`<Msg><Hdr SID="1" Req="{R}" From="#1@h" To="100*101" Cmd="6"/><Bdy Phn="+1" Nm="X"/></Msg>`)
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	c := &Control{PRc: &p, AuthID: "auth", SendMessage: func(_ context.Context, to, ct string, body []byte) error {
		if to != "#1@h" || ct != "x-rc/agent" {
			t.Errorf("MESSAGE to %q type %q", to, ct)
		}
		bodies = append(bodies, string(body))
		return nil
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := c.Agent(ctx, "voicemail", "", ""); err == nil {
		t.Fatal("voicemail before the receive-confirm went out")
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	for _, cmd := range [][3]string{{"confirm"}, {"forward", "+16505550123"}, {"reply", "", `In a meeting <5 min> & "back"`}} {
		if err := c.Agent(ctx2, cmd[0], cmd[1], cmd[2]); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range []string{`Cmd="17"`, `Cmd="10"/><Bdy Cln="auth" FwdDly="0" Phn="+16505550123" PhnTp="3"/>`,
		`Cmd="14"/><Bdy Cln="auth" RepTp="0" Bdy="In a meeting &lt;5 min&gt; &amp; &#34;back&#34;"/>`} {
		if !strings.Contains(bodies[i], want) {
			t.Errorf("body %d %s, want %s", i, bodies[i], want)
		}
	}
}
