package phone

import "errors"

// Errors returned by Phone commands.
var (
	ErrBusy          = errors.New("phone is busy, try again")
	ErrNoSuchCall    = errors.New("no such call")
	ErrNoSuchAccount = errors.New("no such account")
	ErrNotRegistered = errors.New("account is not registered")
	ErrBadState      = errors.New("not possible in this call state")
	ErrStopped       = errors.New("phone is stopped")
	ErrAmbiguousCall = errors.New("several calls: say which one")
)
