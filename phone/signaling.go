package phone

import (
	"context"

	"switchboard/audio"
)

// Signaler is a signalling backend: plain SIP (phone/sip) or, later,
// SIP over WebSocket with WebRTC media. The Phone drives it; it never changes
// call state itself but reports what happened through callbacks.
type Signaler interface {
	// Register keeps acct registered until ctx ends, then unregisters
	// (expires=0 on our own Contact) within a bounded time and returns. Every
	// status change goes to report. It retries on its own with backoff.
	Register(ctx context.Context, acct Account, password string, report func(RegStatus)) error
	// Dial starts an outbound call and returns at once; progress arrives
	// through h. Cancelling ctx before the answer sends CANCEL.
	Dial(ctx context.Context, req DialRequest, h SessionHandler) (Session, error)
	// SetIncoming installs the function called for every new inbound call.
	// It returns the handler for that session's later events; it must not block.
	SetIncoming(func(in Incoming) SessionHandler)
	// Listen reports the direct-IP address inbound calls reach, e.g. "sip:127.0.0.1:5060".
	Listen() string
}

// DialRequest is an outbound call to place.
type DialRequest struct {
	Account  *Account // nil: direct IP call from the listening address
	Password string
	Target   string // URI or number as the user typed it (already normalised)
	Audio    AudioPair
	// Replaces, when set, makes the INVITE take over that dialog at the far
	// end (RFC 3891): attended transfer as the transferee, call pickup.
	Replaces *DialogRef
	// ReferredBy is the transferor's URI when this call follows a REFER.
	ReferredBy string
}

// DialogRef identifies a SIP dialog the way a Replaces header does: its
// Call-ID, the tag of the side that holds the reference (local) and the
// far end's tag (remote).
type DialogRef struct {
	CallID    string
	LocalTag  string
	RemoteTag string
}

// AudioPair is what a session reads from (microphone side) and writes to
// (speaker side), in any format: the session adapts rates.
type AudioPair struct {
	Source audio.Source
	Sink   audio.Sink
	// Tap, if set, gets a copy of every frame sent and played, in the
	// codec's format (call recording).
	Tap Tap
}

// Incoming describes a new inbound call.
type Incoming struct {
	Session   Session
	AccountID string // "" for direct-IP
	From      string // URI
	FromName  string
	// AutoAnswerAfter is >= 0 when the INVITE asks for auto-answer
	// (Call-Info answer-after / Alert-Info), else -1.
	AutoAnswerAfter int
	// Replaces is the existing session this call takes over (an INVITE
	// with a Replaces header that matched one of our dialogs), else nil.
	Replaces Session
	// ReferredBy is the Referred-By URI when the caller was transferred to us.
	ReferredBy string
}

// SessionEventKind names what a Session reports.
type SessionEventKind int

// Session event kinds.
const (
	SessProgress   SessionEventKind = iota + 1 // 18x; EarlyMedia says whether it had SDP
	SessAnswered                               // media is up (either side answered)
	SessRemoteHold                             // far end put us on hold (Hold field)
	SessDTMF                                   // digit received (RFC 4733 or INFO)
	SessEnded                                  // terminal: Cause and Reason set
	SessMessage                                // in-dialog MESSAGE text
	SessTransfer                               // progress of our REFER (Code/Reason from the NOTIFY sipfrag)
	SessReferred                               // the far end asks us to call Target (incoming REFER)
	SessInfo                                   // in-dialog INFO other than DTMF (ContentType, Body)
)

// SessionEvent is one report from a Session.
type SessionEvent struct {
	Kind       SessionEventKind
	Code       int
	Reason     string
	Cause      EndCause
	EarlyMedia bool
	Hold       bool
	Digit      rune
	Codec      string
	Text       string
	// SessReferred: where to call, and the transferor; Replaces when the
	// Refer-To carried one (attended transfer).
	Target     string
	ReferredBy string
	Replaces   *DialogRef
	// SessInfo: the INFO's content type and body.
	ContentType string
	Body        []byte
}

// SessionHandler receives a session's events. It must not block.
type SessionHandler func(SessionEvent)

// Session is one call leg in a signalling backend. Methods that talk to the
// network take a context and may block until the far end answers them.
type Session interface {
	// Answer sends 200 OK with our SDP answer and starts media.
	Answer(ctx context.Context, a AudioPair) error
	// Reject refuses an inbound call with code (486 busy, 603 decline).
	Reject(ctx context.Context, code int) error
	// Hangup sends CANCEL before the answer, BYE after it.
	Hangup(ctx context.Context) error
	// Hold re-INVITEs with sendonly (on) or sendrecv (off).
	Hold(ctx context.Context, on bool) error
	// SendDTMF sends digits as RFC 4733 events, or SIP INFO when the far end
	// did not negotiate telephone-event or info is true.
	SendDTMF(ctx context.Context, digits string, info bool) error
	// SetAudio swaps what the call reads and writes (mute, hold, device change).
	SetAudio(a AudioPair)
	// Stats returns media figures.
	Stats() CallStats
	// SIPCallID is the dialog's Call-ID, for logs and traces.
	SIPCallID() string
}

// Transferer is a Session that can move its call (REFER, RFC 3515 and
// 5589). The Phone checks for it with a type assertion; a backend that lacks
// it makes transfer commands fail with ErrNotSupported.
type Transferer interface {
	// Refer asks the far end to call target (blind transfer) or, with
	// replaces set, to take over that dialog of ours (attended transfer). It
	// returns once the REFER is accepted; progress arrives as SessTransfer
	// events (Code 100-199 trying/ringing, 2xx done, else failed).
	Refer(ctx context.Context, target string, replaces *DialogRef) error
	// Dialog is this call's dialog and the far end's URI (what a Refer-To
	// for it names).
	Dialog() (DialogRef, string)
	// NotifyTransfer tells the transferor how the call we placed for its
	// REFER is doing (a sipfrag status line); a final code ends the
	// subscription.
	NotifyTransfer(ctx context.Context, code int, reason string) error
	// Redirect answers an unanswered inbound call with 302 Moved
	// Temporarily to target (call forwarding).
	Redirect(ctx context.Context, target string) error
}

// InfoSender is a Session that can send an in-dialog INFO with any body
// (RingCentral's JSON call-control commands).
type InfoSender interface {
	SendInfo(ctx context.Context, contentType string, body []byte) error
}

// ProviderResult is the outcome of a provider call-control command.
type ProviderResult struct {
	Code        int // 0: success
	Description string
	Extension   string // park: where the call waits
	Number      string // flip: the number rung
}

// ProviderControl is a Session on a provider with its own call control
// (RingCentral: JSON commands over INFO, x-rc/agent MESSAGE). The Phone
// prefers it to the standard SIP ways where the account's provider has it.
type ProviderControl interface {
	// ProviderCommand runs an in-call command ("callpark", "callflip" with
	// target, "startcallrecord", "stopcallrecord") and waits for its result.
	ProviderCommand(ctx context.Context, command, target string) (ProviderResult, error)
	// ProviderAgent sends a command about a ringing inbound call
	// ("voicemail", "decline", "forward" to target, "reply" with text); the
	// server then cancels the call.
	ProviderAgent(ctx context.Context, command, target, text string) error
}
