package ui

import (
	"context"

	"switchboard/phone"
)

// Controller is what the UI needs from the phone: the subset of
// *phone.Phone's methods it calls (PhoneCommands), plus EchoTest, which the
// composition root provides. EchoTest blocks until ctx ends or the test
// fails, so the UI runs it on a goroutine of its own.
type Controller interface {
	PhoneCommands
	// EchoTest plays the microphone back through the speaker (locally or via
	// an echo service) until ctx ends; it returns nil when cancelled.
	EchoTest(ctx context.Context) error
}

// PhoneCommands are the *phone.Phone methods the UI calls. Every one
// returns quickly (phone commands only enqueue).
type PhoneCommands interface {
	// Subscribe returns the current Snapshot and then every Event until ctx ends.
	Subscribe(ctx context.Context) (phone.Snapshot, <-chan phone.Event)
	// Snapshot returns the current state.
	Snapshot() phone.Snapshot
	// Dial calls target from accountID ("" = direct IP).
	Dial(accountID, target string) (phone.CallID, error)
	// Answer answers an incoming call.
	Answer(id phone.CallID) error
	// Decline refuses an incoming call (603, or 486 when busy).
	Decline(id phone.CallID, busy bool) error
	// Hangup ends a call in any state.
	Hangup(id phone.CallID) error
	// Hold puts a call on hold.
	Hold(id phone.CallID) error
	// Resume takes a call off hold.
	Resume(id phone.CallID) error
	// Mute stops (on) or restarts sending the microphone.
	Mute(id phone.CallID, on bool) error
	// SendDTMF sends digits on an active call.
	SendDTMF(id phone.CallID, digits string, info bool) error
	// Record starts (on) or stops recording a call.
	Record(id phone.CallID, on bool) error
	// SetAccount adds or replaces an account and (re)registers it.
	SetAccount(acct phone.Account, password string) error
	// RemoveAccount unregisters and forgets an account.
	RemoveAccount(id string) error
	// Transfer blind-transfers an answered call to target (REFER); progress
	// arrives as phone.EvTransfer events.
	Transfer(id phone.CallID, target string) error
	// Consult holds the call and dials target for an attended transfer; it
	// returns the consultation call.
	Consult(id phone.CallID, target string) (phone.CallID, error)
	// CompleteTransfer connects the held caller and the consulted target (id
	// is either call).
	CompleteTransfer(id phone.CallID) error
	// CancelTransfer hangs up the consultation and resumes the caller.
	CancelTransfer(id phone.CallID) error
	// TransferBetween connects the far ends of two of our calls.
	TransferBetween(a, b phone.CallID) error
	// Flip moves a call to one of the user's own devices (its target).
	Flip(id phone.CallID, device string) error
	// Park transfers a call to the account's park code.
	Park(id phone.CallID) error
	// Merge joins all answered calls into a local conference.
	Merge() error
	// Split takes id out of the conference, or ends it for id "".
	Split(id phone.CallID) error
	// SendToVoicemail sends a ringing inbound call to voicemail; the call
	// ends with phone.CauseForwarded.
	SendToVoicemail(id phone.CallID) error
	// Forward sends a ringing inbound call on to target; the call ends with
	// phone.CauseForwarded.
	Forward(id phone.CallID, target string) error
	// ReplyText has the server read text to a ringing caller (RingCentral
	// accounts only); the call ends with phone.CauseForwarded.
	ReplyText(id phone.CallID, text string) error
	// ServerRecord starts (on) or stops recording an answered call on the
	// provider's server (RingCentral accounts only); the outcome arrives as
	// a phone.EvRecording event.
	ServerRecord(id phone.CallID, on bool) error
}

var _ PhoneCommands = (*phone.Phone)(nil) // *phone.Phone must keep satisfying the UI's commands
