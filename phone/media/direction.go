package media

// Direction is an SDP media direction attribute (RFC 3264 §5.1, §6.1).
type Direction int

// The four SDP directions. The zero value is SendRecv.
const (
	SendRecv Direction = iota // a=sendrecv: both ways (normal call)
	SendOnly                  // a=sendonly: we send, the peer does not (hold when we offer it)
	RecvOnly                  // a=recvonly: we receive only (answer to a hold)
	Inactive                  // a=inactive: no media either way
)

// String returns the SDP attribute name ("sendrecv", "sendonly", "recvonly",
// "inactive").
func (d Direction) String() string {
	switch d {
	case SendRecv:
		return "sendrecv"
	case SendOnly:
		return "sendonly"
	case RecvOnly:
		return "recvonly"
	case Inactive:
		return "inactive"
	}
	return "unknown"
}

// Sends reports whether the side declaring d transmits media.
func (d Direction) Sends() bool { return d == SendRecv || d == SendOnly }

// Receives reports whether the side declaring d accepts media.
func (d Direction) Receives() bool { return d == SendRecv || d == RecvOnly }

// Reverse is the direction as seen from the other side (sendonly ↔ recvonly).
func (d Direction) Reverse() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	}
	return d
}

// makeDirection builds a Direction from send/receive flags.
func makeDirection(send, recv bool) Direction {
	switch {
	case send && recv:
		return SendRecv
	case send:
		return SendOnly
	case recv:
		return RecvOnly
	}
	return Inactive
}

// answerDirection is the direction an answerer who wants local puts in its
// answer to an offer declaring remote (RFC 3264 §6.1): the intersection.
func answerDirection(local, remote Direction) Direction {
	return makeDirection(local.Sends() && remote.Receives(), local.Receives() && remote.Sends())
}

// parseDirection maps an SDP attribute key to a Direction.
func parseDirection(key string) (Direction, bool) {
	switch key {
	case "sendrecv":
		return SendRecv, true
	case "sendonly":
		return SendOnly, true
	case "recvonly":
		return RecvOnly, true
	case "inactive":
		return Inactive, true
	}
	return 0, false
}
