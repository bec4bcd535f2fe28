package ringcentral

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"switchboard/phone"
)

// Control runs RingCentral's call-control commands for one call
// (ringcentral.md 2.5 and 2.6): JSON requests over in-dialog INFO, whose
// results come back in a server INFO matched by reqid and command, and
// x-rc/agent MESSAGE commands about a ringing inbound call. The backend
// (phone/sip, phone/webrtc) supplies the two senders and feeds every
// server INFO to HandleInfo.
type Control struct {
	// SendInfo sends an in-dialog INFO.
	SendInfo func(ctx context.Context, contentType string, body []byte) error
	// SendMessage sends a MESSAGE with the call's Call-ID to the P-rc
	// address (user part as RingCentral writes it, e.g. "#1032016@host").
	SendMessage func(ctx context.Context, to string, contentType string, body []byte) error
	// PRc is the inbound INVITE's P-rc header (nil on outbound calls).
	PRc *PRc
	// AuthID is the account's authorizationId (the Cln attribute).
	AuthID string

	mu        sync.Mutex
	reqid     int
	waiting   map[string]chan phone.ProviderResult
	confirmed chan struct{} // closed once the receive-confirm went out
	once      sync.Once
	closeOnce sync.Once
}

func (c *Control) confirmedCh() chan struct{} {
	c.once.Do(func() { c.confirmed = make(chan struct{}) })
	return c.confirmed
}

// infoRequest is the JSON body of a client command INFO.
type infoRequest struct {
	Request struct {
		ReqID   int    `json:"reqid"`
		Command string `json:"command"`
		Target  string `json:"target,omitempty"`
	} `json:"request"`
}

// infoResponse is the JSON body of the server's result INFO. 1.x servers
// spell the id "reqId".
type infoResponse struct {
	Response struct {
		ReqID   *int   `json:"reqid"`
		ReqIDx  *int   `json:"reqId"`
		Command string `json:"command"`
		Result  struct {
			Code        int    `json:"code"`
			Description string `json:"description"`
			Extension   string `json:"park extension"`
			Number      string `json:"number"`
		} `json:"result"`
	} `json:"response"`
}

func waitKey(reqid int, command string) string {
	return fmt.Sprintf("%d/%s", reqid, strings.ToLower(command))
}

// Command sends command (callpark, callflip with target, startcallrecord,
// stopcallrecord) and waits for the server's result INFO or ctx's end.
func (c *Control) Command(ctx context.Context, command, target string) (phone.ProviderResult, error) {
	if c.SendInfo == nil {
		return phone.ProviderResult{}, phone.ErrNotSupported
	}
	c.mu.Lock()
	c.reqid++
	var req infoRequest
	req.Request.ReqID, req.Request.Command, req.Request.Target = c.reqid, command, target
	key := waitKey(c.reqid, command)
	ch := make(chan phone.ProviderResult, 1)
	if c.waiting == nil {
		c.waiting = map[string]chan phone.ProviderResult{}
	}
	c.waiting[key] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.waiting, key)
		c.mu.Unlock()
	}()
	body, _ := json.Marshal(req)
	if err := c.SendInfo(ctx, "application/json;charset=utf-8", body); err != nil {
		return phone.ProviderResult{}, fmt.Errorf("%s: %w", command, err)
	}
	select {
	case r := <-ch:
		return r, nil
	case <-ctx.Done():
		return phone.ProviderResult{}, fmt.Errorf("RingCentral did not report how %s went: %w", command, ctx.Err())
	}
}

// HandleInfo takes a server INFO body; it returns true when it was the
// result of one of our commands (delivered to its Command call).
func (c *Control) HandleInfo(body []byte) bool {
	var r infoResponse
	if json.Unmarshal(body, &r) != nil || r.Response.Command == "" {
		return false
	}
	id := r.Response.ReqID
	if id == nil {
		id = r.Response.ReqIDx
	}
	if id == nil {
		return false
	}
	c.mu.Lock()
	ch := c.waiting[waitKey(*id, r.Response.Command)]
	c.mu.Unlock()
	if ch == nil {
		return false
	}
	res := r.Response.Result
	select {
	case ch <- phone.ProviderResult{Code: res.Code, Description: res.Description, Extension: res.Extension, Number: res.Number}:
	default:
	}
	return true
}

// Agent sends an x-rc/agent command about the ringing call: "confirm"
// (Cmd 17), "voicemail" (11), "decline" (12), "forward" (10, to target),
// "reply" (14, text read to the caller).
func (c *Control) Agent(ctx context.Context, command, target, text string) error {
	if c.PRc == nil || c.SendMessage == nil {
		return phone.ErrNotSupported
	}
	if command == "confirm" {
		err := c.SendMessage(ctx, c.PRc.Hdr.From, "x-rc/agent", AgentBody(*c.PRc, CmdClientReceiveConfirm, c.AuthID))
		ch := c.confirmedCh()
		c.closeOnce.Do(func() { close(ch) })
		return err
	}
	// Every other command follows the receive-confirm (RingCentral drops
	// "to voicemail" without it).
	select {
	case <-c.confirmedCh():
	case <-ctx.Done():
		return fmt.Errorf("the call was never confirmed to RingCentral: %w", ctx.Err())
	}
	var body []byte
	switch command {
	case "voicemail":
		body = AgentBody(*c.PRc, CmdClientVoicemail, c.AuthID)
	case "decline":
		body = AgentBody(*c.PRc, CmdClientReject, c.AuthID)
	case "forward":
		body = agentBodyWith(*c.PRc, CmdClientForward, c.AuthID, [][2]string{{"FwdDly", "0"}, {"Phn", target}, {"PhnTp", "3"}})
	case "reply":
		body = agentBodyWith(*c.PRc, CmdClientReply, c.AuthID, [][2]string{{"RepTp", "0"}, {"Bdy", text}})
	default:
		return fmt.Errorf("unknown RingCentral command %q", command)
	}
	return c.SendMessage(ctx, c.PRc.Hdr.From, "x-rc/agent", body)
}
