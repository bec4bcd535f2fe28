package phone

import "time"

// RegState is where an account's registration is.
type RegState int

// Registration states (stable values).
const (
	RegUnregistered RegState = 0
	RegRegistering  RegState = 1
	RegRegistered   RegState = 2
	RegFailed       RegState = 3 // will retry after Retry
	RegDisabled     RegState = 4
)

var regNames = [...]string{"unregistered", "registering", "registered", "failed", "disabled"}

func (s RegState) String() string {
	if s >= 0 && int(s) < len(regNames) {
		return regNames[s]
	}
	return "unknown"
}

// RegStatus is one account's registration as the core sees it.
type RegStatus struct {
	AccountID string
	State     RegState
	// Reason is a human sentence ("wrong password", "too many devices
	// registered (603)"); Code the SIP status behind it, if any.
	Reason string
	Code   int
	// Expires is when the current binding lapses; Retry when the next
	// attempt after a failure is due.
	Expires time.Time
	Retry   time.Time
	Contact string
}

// EventKind names an Event; the cli prints it as the "event" field.
type EventKind string

// Event kinds.
const (
	EvRegistering  EventKind = "registering"
	EvRegistered   EventKind = "registered"
	EvRegFailed    EventKind = "reg_failed"
	EvIncoming     EventKind = "incoming"
	EvDialing      EventKind = "dialing"
	EvRinging      EventKind = "ringing"
	EvAnswered     EventKind = "answered"
	EvHeld         EventKind = "held"
	EvResumed      EventKind = "resumed"
	EvRemoteHold   EventKind = "remote_hold"
	EvMuted        EventKind = "muted"
	EvDTMF         EventKind = "dtmf"
	EvEnded        EventKind = "ended"
	EvStats        EventKind = "stats"
	EvMessage      EventKind = "message"
	EvError        EventKind = "error"
	EvUnregistered EventKind = "unregistered"
	EvRecording    EventKind = "recording"    // started (Call.Recording) or file complete; Path, Message
	EvAudioDevice  EventKind = "audio_device" // sound device switched or lost; Message says which
	EvTransfer     EventKind = "transfer"     // Transfer: blind/attended/referred progress
	EvFlip         EventKind = "flip"         // Transfer: call flip progress
	EvPark         EventKind = "park"         // Transfer: park progress (Extension when known)
	EvConference   EventKind = "conference"   // Conference: who is in the local conference
)

// Event is one change published by the Phone. Only the fields that belong
// to its Kind are set.
type Event struct {
	Kind    EventKind
	Time    time.Time
	Call    *CallInfo  // call events
	Reg     *RegStatus // registration events
	Digit   string     // dtmf
	Message string     // error text, MESSAGE body
	From    string
	Stats   *CallStats
	Path    string // recording file (EvRecording)
	// Transfer is the progress of moving Call (EvTransfer, EvFlip, EvPark).
	Transfer *TransferInfo
	// Conference lists the calls in the local conference (EvConference).
	Conference []CallID
}

// CallStats are a call's media figures.
type CallStats struct {
	Codec           string
	PacketsSent     uint64
	PacketsReceived uint64
	PacketsLost     uint64
	JitterMs        float64
	RemoteAddr      string
	// SRTP names the SRTP suite protecting the media, "" when unencrypted.
	SRTP string
	// JitterBufferMs is the playout delay the jitter buffer currently adds.
	JitterBufferMs float64
	// MOS is the estimated mean opinion score (1-4.5) of what we receive.
	MOS float64
}

// Snapshot is the whole visible state of the phone at one moment.
type Snapshot struct {
	Accounts []RegStatus
	Calls    []CallInfo // not ended, in creation order
	Active   CallID     // the call that has the microphone, if any
	Listen   string     // direct-IP address we listen on
}
