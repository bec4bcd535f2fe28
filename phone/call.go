package phone

import (
	"fmt"
	"time"
)

// CallID names a call inside this process (not the SIP Call-ID).
type CallID string

// CallState is where a call is in its life. Values are stable: they are
// printed and may be persisted.
type CallState int

// Call states.
const (
	StateIdle     CallState = 0
	StateDialing  CallState = 1 // INVITE sent, no answer yet
	StateRinging  CallState = 2 // far end rings (180/183)
	StateIncoming CallState = 3 // we ring
	StateActive   CallState = 4
	StateHeld     CallState = 5 // held by us (remote hold is a flag)
	StateEnded    CallState = 6
)

var stateNames = [...]string{"idle", "dialing", "ringing", "incoming", "active", "held", "ended"}

func (s CallState) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", int(s))
}

// Direction of a call.
type Direction string

// Call directions.
const (
	Outbound Direction = "outbound"
	Inbound  Direction = "inbound"
)

// EndCause says why a call ended, in a form the UI and the cli print.
type EndCause string

// End causes.
const (
	CauseNormal      EndCause = "normal"      // someone hung up after answering
	CauseCancelled   EndCause = "cancelled"   // caller gave up before answer
	CauseBusy        EndCause = "busy"        // 486/600
	CauseDeclined    EndCause = "declined"    // 603
	CauseNotFound    EndCause = "not_found"   // 404/604
	CauseUnavailable EndCause = "unavailable" // 480/503 etc.
	CauseTimeout     EndCause = "timeout"     // 408 / no answer
	CauseAuth        EndCause = "auth"        // 401/407/403
	CauseRejected    EndCause = "rejected"    // other 4xx-6xx
	CauseMedia       EndCause = "media"       // 488, no common codec, SDP error
	CauseError       EndCause = "error"       // transport or local failure
	CauseMissed      EndCause = "missed"      // inbound, remote cancelled before we answered
	CauseTransferred EndCause = "transferred" // moved to someone else (transfer, flip, park)
	CauseReplaced    EndCause = "replaced"    // another call took this one over (Replaces)
	CauseForwarded   EndCause = "forwarded"   // sent on unanswered (302, forwarding rules)
)

// CauseFromStatus maps a SIP final response code to an EndCause.
func CauseFromStatus(code int) EndCause {
	switch {
	case code == 486 || code == 600:
		return CauseBusy
	case code == 603:
		return CauseDeclined
	case code == 404 || code == 604 || code == 484:
		return CauseNotFound
	case code == 401 || code == 407 || code == 403:
		return CauseAuth
	case code == 408:
		return CauseTimeout
	case code == 487:
		return CauseCancelled
	case code == 488 || code == 606:
		return CauseMedia
	case code == 480 || code == 410 || code == 502 || code == 503 || code == 504:
		return CauseUnavailable
	case code >= 400:
		return CauseRejected
	}
	return CauseNormal
}

// callEvent is something that happens to a call; the transition table says
// which states it is allowed in.
type callEvent int

const (
	evProgress callEvent = iota // 18x
	evAnswered                  // 200 to our INVITE, or we answered
	evHold                      // we put it on hold
	evResume                    // we resumed
	evEnd                       // anything that ends it
)

// transitions is the call state machine: from state and event to the new
// state. Pairs missing here are rejected (and that is tested).
var transitions = map[CallState]map[callEvent]CallState{
	StateDialing:  {evProgress: StateRinging, evAnswered: StateActive, evEnd: StateEnded},
	StateRinging:  {evProgress: StateRinging, evAnswered: StateActive, evEnd: StateEnded},
	StateIncoming: {evAnswered: StateActive, evEnd: StateEnded},
	StateActive:   {evHold: StateHeld, evResume: StateActive, evEnd: StateEnded},
	StateHeld:     {evHold: StateHeld, evResume: StateActive, evEnd: StateEnded},
}

// next applies ev to s.
func next(s CallState, ev callEvent) (CallState, bool) {
	n, ok := transitions[s][ev]
	return n, ok
}

// CallInfo is the snapshot of one call.
type CallInfo struct {
	ID         CallID
	AccountID  string // "" for direct-IP calls
	Direction  Direction
	Peer       string // remote URI
	PeerName   string // display name if any
	State      CallState
	RemoteHold bool
	Muted      bool
	Codec      string
	StartedAt  time.Time
	AnsweredAt time.Time
	EndedAt    time.Time
	Cause      EndCause
	Reason     string // human detail for the cause, e.g. "486 Busy Here"
	EarlyMedia bool
	Recording  bool
	SIPCallID  string
	AutoAnswer bool
	// ServerRecording: the provider records this call (ServerRecord).
	ServerRecording bool
	Transferred     bool
}
