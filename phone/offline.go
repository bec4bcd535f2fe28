package phone

import (
	"context"
	"fmt"
)

// Offline is a Signaler for when a backend could not start (its port is
// taken, the OS refuses the socket): the app still opens, and every account
// and call says why it cannot work instead of the app refusing to start.
type Offline struct {
	// Err is why the backend is unavailable.
	Err error
}

var _ Signaler = Offline{}

func (o Offline) reason() string { return fmt.Sprintf("SIP is unavailable: %v", o.Err) }

// Register reports the failure once and waits for ctx.
func (o Offline) Register(ctx context.Context, acct Account, password string, report func(RegStatus)) error {
	report(RegStatus{AccountID: acct.ID, State: RegFailed, Reason: o.reason()})
	<-ctx.Done()
	return nil
}

// Dial fails with the reason.
func (o Offline) Dial(ctx context.Context, req DialRequest, h SessionHandler) (Session, error) {
	return nil, fmt.Errorf("%s", o.reason())
}

// SetIncoming does nothing: no call can come in.
func (o Offline) SetIncoming(func(in Incoming) SessionHandler) {}

// Listen is empty: there is no direct-IP address.
func (o Offline) Listen() string { return "" }
