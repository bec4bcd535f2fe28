package phone

import (
	"context"
	"testing"
)

type fakeSig struct {
	name string
	regs *[]string
}

func (f fakeSig) Register(_ context.Context, a Account, _ string, _ func(RegStatus)) error {
	*f.regs = append(*f.regs, f.name+":"+a.ID)
	return nil
}
func (f fakeSig) Dial(context.Context, DialRequest, SessionHandler) (Session, error) { return nil, nil }
func (f fakeSig) SetIncoming(func(Incoming) SessionHandler)                          {}
func (f fakeSig) Listen() string                                                     { return f.name }

func TestRouterByTransport(t *testing.T) {
	var regs []string
	r := Router{Plain: fakeSig{"sip", &regs}, WebRTC: fakeSig{"webrtc", &regs}}
	for _, a := range []Account{{ID: "u", Transport: UDP}, {ID: "w", Transport: WS}, {ID: "s", Transport: WSS}, {ID: "t", Transport: TLS}, {ID: "d"}} {
		_ = r.Register(context.Background(), a, "", nil)
	}
	want := []string{"sip:u", "webrtc:w", "webrtc:s", "sip:t", "sip:d"}
	for i := range want {
		if regs[i] != want[i] {
			t.Fatalf("routed %v, want %v", regs, want)
		}
	}
	if r.Listen() != "sip" {
		t.Fatal("Listen must come from the plain backend")
	}
}
