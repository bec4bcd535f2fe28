package phone

import "context"

// Router is a Signaler that hands each account to the backend of its
// transport: ws and wss to WebRTC, everything else (and direct-IP calls)
// to Plain. Sessions come straight from the backend, so optional Session
// interfaces still work by type assertion.
type Router struct {
	Plain  Signaler
	WebRTC Signaler // nil: ws/wss accounts go to Plain too (and fail there)
}

var _ Signaler = Router{}

// IsWebRTC says whether an account uses the WebRTC backend.
func IsWebRTC(a *Account) bool { return a != nil && (a.Transport == WS || a.Transport == WSS) }

func (r Router) pick(a *Account) Signaler {
	if r.WebRTC != nil && IsWebRTC(a) {
		return r.WebRTC
	}
	return r.Plain
}

// Register registers acct through its backend.
func (r Router) Register(ctx context.Context, acct Account, password string, report func(RegStatus)) error {
	return r.pick(&acct).Register(ctx, acct, password, report)
}

// Dial places the call through the backend of the request's account.
func (r Router) Dial(ctx context.Context, req DialRequest, h SessionHandler) (Session, error) {
	return r.pick(req.Account).Dial(ctx, req, h)
}

// SetIncoming installs f on both backends.
func (r Router) SetIncoming(f func(in Incoming) SessionHandler) {
	r.Plain.SetIncoming(f)
	if r.WebRTC != nil {
		r.WebRTC.SetIncoming(f)
	}
}

// Listen is the plain backend's direct-IP address.
func (r Router) Listen() string { return r.Plain.Listen() }
