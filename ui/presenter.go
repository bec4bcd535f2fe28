package ui

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"
	"unicode"

	"switchboard/phone"
)

// The presenter is pure: phone.Snapshot (plus the configured accounts and
// the time) in, ViewModel out. Only it turns states and errors into words.

// Tone is how a status line is coloured.
type Tone int

// Tones.
const (
	ToneNeutral Tone = iota
	ToneOK
	TonePending
	ToneError
)

// ViewModel is everything the main window shows.
type ViewModel struct {
	// Accounts has one line per configured account, in settings order, then
	// any the phone knows that settings do not.
	Accounts []AccountView
	// DirectIP is "Direct IP: sip:you@host:port" when no account is configured.
	DirectIP string
	// DialFrom lists the identities a call can be placed from; DefaultFrom
	// is the one to preselect.
	DialFrom    []DialOption
	DefaultFrom string
	// Calls are the calls not ended, in creation order.
	Calls []CallView
	// Incoming is the oldest ringing inbound call (the overlay), or nil.
	Incoming *CallView
	// ActiveID is the call that has the microphone, if any.
	ActiveID phone.CallID
	// Conference lists the calls in the local conference and
	// ConferenceNames their titles; CanMerge is set when two or more
	// answered calls could be (further) merged (PresentMoves).
	Conference      []phone.CallID
	ConferenceNames []string
	CanMerge        bool
}

// AccountView is one account's status line.
type AccountView struct {
	ID     string
	Label  string // "Alice <alice@example.com>"
	Status string // "Registered", "Failed: wrong password (403), retrying in 30 s"
	Tone   Tone
	// CanRetry is set when registration failed: the line offers Retry.
	CanRetry bool
}

// DialOption is an identity to call from: an account, or ID "" for direct IP.
type DialOption struct {
	ID    string
	Label string
}

// CallView is one call card.
type CallView struct {
	ID        phone.CallID
	Title     string // display name or number
	Subtitle  string // the address, without scheme
	State     string // "Calling…", "Connected", "On hold"
	Timer     string // "1:05" since the answer; "" before
	Codec     string
	Incoming  bool
	Active    bool
	Muted     bool
	Held      bool
	HoldLabel string // "Hold" or "Resume"
	MuteLabel string // "Mute" or "Unmute"
	// Recording is set while the call is recorded (the card shows "● REC");
	// RecordLabel is "Record" or "Stop rec".
	Recording   bool
	RecordLabel string
	// Quality is "Good", "Fair" or "Poor" from the call's latest media
	// figures, "" before any arrived; Encrypted is set when the media is SRTP.
	Quality   string
	Encrypted bool

	CanAnswer, CanDecline, CanHangup, CanHold, CanMute, CanDTMF, CanRecord bool

	// Inbound handling of a ringing call: CanDivert enables Voicemail and
	// Forward…, CanReply (RingCentral accounts) Reply…; AutoAnswer is set
	// while the call is being auto-answered (State says "Auto-answering…").
	CanDivert, CanReply, AutoAnswer bool
	// RingCentral is set on calls of RingCentral accounts: their cards
	// offer recording on the server. ServerRecording is set while the
	// server records (the card shows "● SERVER REC"); ServerRecordLabel is
	// "Server rec" or "Stop server rec"; CanServerRecord enables it.
	RingCentral, ServerRecording, CanServerRecord bool
	ServerRecordLabel                             string
	// ServerRecNote is the latest server recording progress or failure
	// (PresentMoves), shown on the card like the move line.
	ServerRecNote string
	ServerRecTone Tone

	// Moving the call (PresentMoves). CanTransfer, CanPark and CanFlip
	// enable the card's buttons; MoveHint says which account settings Park
	// and Flip lack; Devices are the account's own devices to flip to.
	CanTransfer, CanPark, CanFlip bool
	MoveHint                      string
	Devices                       []phone.Device
	// Move is the latest transfer, flip or park progress ("Transferring to
	// 1002: ringing…", "Transfer to 1002 failed: the line is busy…").
	Move     string
	MoveTone Tone
	// ConsultWith is the other call of an attended transfer or flip under
	// way (set on both calls); CanComplete and CanCancelMove enable
	// "Complete transfer" and "Cancel".
	ConsultWith                phone.CallID
	CanComplete, CanCancelMove bool
	// Attended is set on both calls of an attended transfer under way
	// (Complete transfer is shown; a flip completes by itself).
	Attended bool
	// InConference is set while the call is in the local conference.
	InConference bool
	// TransferTo are the other answered calls this one can be connected to
	// ("transfer between my two calls"); DialOption.ID is the CallID.
	TransferTo []DialOption
}

// Call quality labels (QualityText).
const (
	QualityGood = "Good"
	QualityFair = "Fair"
	QualityPoor = "Poor"
)

// QualityText rates a call's media figures: packet loss is
// lost/(received+lost). Good is under 1 % loss and under 30 ms jitter,
// Poor over 5 % loss or over 80 ms jitter, anything else Fair.
func QualityText(st phone.CallStats) string {
	loss := 0.0
	if n := st.PacketsReceived + st.PacketsLost; n > 0 {
		loss = 100 * float64(st.PacketsLost) / float64(n)
	}
	switch {
	case loss > 5 || st.JitterMs > 80:
		return QualityPoor
	case loss < 1 && st.JitterMs < 30:
		return QualityGood
	}
	return QualityFair
}

// directIPLabel is what DialFrom calls the no-account identity.
const directIPLabel = "Direct IP"

// Present turns a snapshot into the view model. accounts are the configured
// accounts (for labels and for the ones the phone does not know yet).
func Present(s phone.Snapshot, accounts []phone.Account, now time.Time) ViewModel {
	return PresentStats(s, accounts, now, nil)
}

// PresentStats is Present with each call's latest media figures (from
// phone.EvStats events), which give the cards their quality indicator;
// calls missing from stats show none. It does not modify stats.
func PresentStats(s phone.Snapshot, accounts []phone.Account, now time.Time, stats map[phone.CallID]phone.CallStats) ViewModel {
	vm := ViewModel{ActiveID: s.Active}
	status := map[string]phone.RegStatus{}
	for _, r := range s.Accounts {
		status[r.AccountID] = r
	}
	seen := map[string]bool{}
	registered := ""
	for _, a := range accounts {
		id := a.ID
		if id == "" {
			id = a.AOR
		}
		seen[id] = true
		r, ok := status[id]
		if !ok {
			r = phone.RegStatus{AccountID: id, State: phone.RegUnregistered}
			if !a.Enabled {
				r.State = phone.RegDisabled
			}
		}
		av := presentAccount(r, now)
		av.Label = accountLabel(a)
		if a.NoRegister && a.Enabled {
			av.Status, av.Tone = "Calls only (no registration)", ToneOK
		}
		vm.Accounts = append(vm.Accounts, av)
		if a.Enabled {
			vm.DialFrom = append(vm.DialFrom, DialOption{ID: id, Label: av.Label})
			if registered == "" && (r.State == phone.RegRegistered || a.NoRegister) {
				registered = id
			}
		}
	}
	var extra []phone.RegStatus
	for _, r := range s.Accounts {
		if !seen[r.AccountID] {
			extra = append(extra, r)
		}
	}
	slices.SortFunc(extra, func(a, b phone.RegStatus) int { return strings.Compare(a.AccountID, b.AccountID) })
	for _, r := range extra {
		av := presentAccount(r, now)
		av.Label = trimScheme(r.AccountID)
		av.CanRetry = false // not in settings: nothing to re-apply
		vm.Accounts = append(vm.Accounts, av)
		vm.DialFrom = append(vm.DialFrom, DialOption{ID: r.AccountID, Label: av.Label})
		if registered == "" && r.State == phone.RegRegistered {
			registered = r.AccountID
		}
	}
	vm.DialFrom = append(vm.DialFrom, DialOption{ID: "", Label: directIPLabel})
	vm.DefaultFrom = registered
	if registered == "" && len(vm.DialFrom) > 1 {
		vm.DefaultFrom = vm.DialFrom[0].ID
	}
	if len(vm.Accounts) == 0 {
		vm.DirectIP = DirectIPText(s.Listen)
	}
	rc := map[string]bool{}
	for _, a := range accounts {
		if a.Provider == phone.ProviderRingCentral {
			rc[a.ID] = true
			rc[a.AOR] = true
		}
	}
	for _, c := range s.Calls {
		if c.State == phone.StateEnded {
			continue
		}
		cv := presentCall(c, s.Active, now, c.AccountID != "" && rc[c.AccountID])
		if st, ok := stats[c.ID]; ok {
			cv.Quality, cv.Encrypted = QualityText(st), st.SRTP != ""
		}
		vm.Calls = append(vm.Calls, cv)
		if cv.Incoming && vm.Incoming == nil {
			in := cv
			vm.Incoming = &in
		}
	}
	return vm
}

func presentAccount(r phone.RegStatus, now time.Time) AccountView {
	av := AccountView{ID: r.AccountID}
	switch r.State {
	case phone.RegRegistered:
		av.Status, av.Tone = "Registered", ToneOK
	case phone.RegRegistering:
		av.Status, av.Tone = "Registering…", TonePending
	case phone.RegFailed:
		reason := r.Reason
		if reason == "" && r.Code != 0 {
			reason = fmt.Sprintf("SIP %d", r.Code)
		}
		if reason == "" {
			reason = "no answer from the server"
		}
		av.Status, av.Tone, av.CanRetry = "Failed: "+reason, ToneError, true
		if !r.Retry.IsZero() {
			if d := r.Retry.Sub(now); d > 0 {
				av.Status += ", retrying in " + roughDuration(d)
			} else {
				av.Status += ", retrying"
			}
		}
	case phone.RegDisabled:
		av.Status, av.Tone = "Disabled", ToneNeutral
	default:
		av.Status, av.Tone = "Not registered", ToneNeutral
	}
	return av
}

func roughDuration(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	if s < 60 {
		return fmt.Sprintf("%d s", s)
	}
	return fmt.Sprintf("%d min", (s+59)/60)
}

func accountLabel(a phone.Account) string {
	addr := trimScheme(a.AOR)
	if a.DisplayName != "" {
		return a.DisplayName + " <" + addr + ">"
	}
	if addr == "" {
		return a.ID
	}
	return addr
}

// DirectIPText is the "how to reach me without an account" line for a
// listen address such as "sip:127.0.0.1:5060".
func DirectIPText(listen string) string {
	if listen == "" {
		return "Direct IP: not listening"
	}
	u, err := phone.ParseURI(listen)
	if err != nil {
		return "Direct IP: " + listen
	}
	if u.User == "" {
		u.User = "you"
	}
	return "Direct IP: " + u.String()
}

// presentCall makes a call's card; rc is set when its account is a
// RingCentral one.
func presentCall(c phone.CallInfo, active phone.CallID, now time.Time, rc bool) CallView {
	cv := CallView{
		ID: c.ID, Codec: c.Codec, Active: c.ID == active, Muted: c.Muted,
		Incoming: c.State == phone.StateIncoming, Held: c.State == phone.StateHeld,
		HoldLabel: "Hold", MuteLabel: "Mute", Recording: c.Recording, RecordLabel: "Record",
		RingCentral: rc, ServerRecording: c.ServerRecording, ServerRecordLabel: "Server rec",
	}
	if c.Recording {
		cv.RecordLabel = "Stop rec"
	}
	if c.ServerRecording {
		cv.ServerRecordLabel = "Stop server rec"
	}
	cv.Title, cv.Subtitle = PeerText(c.PeerName, c.Peer)
	switch c.State {
	case phone.StateDialing:
		cv.State = "Calling…"
	case phone.StateRinging:
		cv.State = "Ringing…"
		if c.EarlyMedia {
			cv.State = "Ringing (early media)"
		}
	case phone.StateIncoming:
		cv.State = "Incoming call"
		if c.AccountID == "" {
			cv.State = "Incoming call (direct IP)"
		}
		if c.AutoAnswer {
			cv.State, cv.AutoAnswer = "Auto-answering…", true
		}
	case phone.StateActive:
		cv.State = "Connected"
		if c.RemoteHold {
			cv.State = "Held by the other side"
		}
	case phone.StateHeld:
		cv.State, cv.HoldLabel = "On hold", "Resume"
	default:
		cv.State = c.State.String()
	}
	if c.Muted {
		cv.State += " · muted"
		cv.MuteLabel = "Unmute"
	}
	if !c.AnsweredAt.IsZero() {
		cv.Timer = ClockText(now.Sub(c.AnsweredAt))
	}
	switch c.State {
	case phone.StateIncoming:
		cv.CanAnswer, cv.CanDecline, cv.CanDivert, cv.CanReply = true, true, true, rc
	case phone.StateDialing, phone.StateRinging:
		cv.CanHangup, cv.CanMute = true, true
	case phone.StateActive:
		cv.CanHangup, cv.CanHold, cv.CanMute, cv.CanDTMF, cv.CanRecord = true, true, true, true, true
		cv.CanServerRecord = rc
	case phone.StateHeld:
		cv.CanHangup, cv.CanHold, cv.CanMute, cv.CanRecord = true, true, true, true
		cv.CanServerRecord = rc
	}
	return cv
}

// ClockText formats a call duration as m:ss, or h:mm:ss from an hour on.
func ClockText(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// PeerText returns a caller's title (name, else number or user) and
// subtitle (the address without scheme and parameters).
func PeerText(name, uri string) (title, subtitle string) {
	addr := trimScheme(uri)
	if i := strings.IndexByte(addr, ';'); i >= 0 {
		addr = addr[:i]
	}
	user := addr
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		user = addr[:i]
	}
	switch {
	case name != "":
		return name, addr
	case user != "" && user != addr:
		return user, addr
	case addr != "":
		return addr, ""
	}
	return "Unknown caller", ""
}

func trimScheme(uri string) string {
	lower := strings.ToLower(uri)
	for _, p := range []string{"sip:", "sips:", "tel:"} {
		if strings.HasPrefix(lower, p) {
			return uri[len(p):]
		}
	}
	return uri
}

// EndedText is the notice shown when a call ends.
func EndedText(c phone.CallInfo) string {
	who, _ := PeerText(c.PeerName, c.Peer)
	var why string
	switch c.Cause {
	case phone.CauseNormal, "":
		why = ""
	case phone.CauseCancelled:
		why = "cancelled"
	case phone.CauseBusy:
		why = "busy"
	case phone.CauseDeclined:
		why = "declined"
	case phone.CauseNotFound:
		why = "number not found"
	case phone.CauseUnavailable:
		why = "not reachable right now"
	case phone.CauseTimeout:
		why = "no answer"
	case phone.CauseAuth:
		why = "the provider refused the call (check account and password)"
	case phone.CauseRejected:
		why = "rejected"
	case phone.CauseMedia:
		why = "no common audio codec"
	case phone.CauseError:
		why = "connection problem"
	case phone.CauseMissed:
		return "Missed call from " + who
	case phone.CauseForwarded:
		return ForwardedText(who, c.Reason)
	case phone.CauseTransferred:
		why = "transferred"
	default:
		why = string(c.Cause)
	}
	text := "Call with " + who + " ended"
	if why != "" {
		text += ": " + why
	}
	if c.Reason != "" && c.Cause != phone.CauseNormal && c.Cause != phone.CauseDeclined && c.Cause != phone.CauseCancelled && !strings.EqualFold(c.Reason, why) {
		text += " (" + c.Reason + ")"
	}
	if !c.AnsweredAt.IsZero() && !c.EndedAt.IsZero() {
		text += " after " + ClockText(c.EndedAt.Sub(c.AnsweredAt))
	}
	return text
}

// ForwardedText says where a call that ended with phone.CauseForwarded
// went; reason is the phone's CallInfo.Reason ("sent to voicemail",
// "forwarded to 1002", "busy: forwarded to 1002", "not answered:
// forwarded to 1002", "replied: On another call").
func ForwardedText(who, reason string) string {
	why := ""
	if r, ok := strings.CutPrefix(reason, "busy: "); ok {
		reason, why = r, " (you were on another call)"
	} else if r, ok := strings.CutPrefix(reason, "not answered: "); ok {
		reason, why = r, " (not answered)"
	}
	switch {
	case reason == "sent to voicemail":
		return "Sent the call from " + who + " to voicemail" + why + "."
	case strings.HasPrefix(reason, "forwarded to "):
		return "Forwarded the call from " + who + " to " + trimScheme(strings.TrimPrefix(reason, "forwarded to ")) + why + "."
	case strings.HasPrefix(reason, "replied: "):
		return "Replied to " + who + ": “" + strings.TrimPrefix(reason, "replied: ") + "”" + why + "."
	case reason == "":
		return "The call from " + who + " was forwarded" + why + "."
	}
	return "The call from " + who + " was handed on: " + reason + why + "."
}

// IsServerRecording reports whether a phone.EvRecording message is about
// recording on the server (ServerRecord) rather than local recording.
func IsServerRecording(message string) bool {
	return strings.HasPrefix(message, "server recording")
}

// ServerRecordingNotice is the status line for a phone.EvRecording event
// about recording call c on the server: message is "server recording
// started", "server recording stopped" or "server recording: <why it
// failed>".
func ServerRecordingNotice(c phone.CallInfo, message string) string {
	who, _ := PeerText(c.PeerName, c.Peer)
	switch message {
	case "server recording started":
		return "The server is recording the call with " + who + "."
	case "server recording stopped":
		return "The server stopped recording the call with " + who + "."
	}
	if why, ok := strings.CutPrefix(message, "server recording: "); ok {
		return "Server recording of the call with " + who + " failed: " + why + "."
	}
	return capitalize(message) + "."
}

// Server recording notes kept before the phone answers (ServerRecNoteText).
const (
	srecStarting = "server recording starting"
	srecStopping = "server recording stopping"
)

// ServerRecNoteText is the card line for the latest server recording
// message: pending while asked, the failure in red, nothing once it
// started or stopped (the SERVER REC indicator says that).
func ServerRecNoteText(message string) (string, Tone) {
	switch message {
	case srecStarting:
		return "Asking the server to record…", TonePending
	case srecStopping:
		return "Asking the server to stop recording…", TonePending
	}
	if why, ok := strings.CutPrefix(message, "server recording: "); ok {
		return "Server recording failed: " + why, ToneError
	}
	return "", ToneNeutral
}

// RecordingNotice is the status line for a phone.EvRecording event about
// call c: started, finished at path (with the phone's message, such as
// dropped samples, when there is one), or failed.
func RecordingNotice(c phone.CallInfo, path, message string) string {
	who, _ := PeerText(c.PeerName, c.Peer)
	if c.Recording {
		return "Recording the call with " + who + "."
	}
	if reason, ok := strings.CutPrefix(message, "recording failed: "); ok {
		return "Recording of the call with " + who + " failed: " + reason + "."
	}
	text := "Recording of the call with " + who + " saved"
	if path != "" {
		text += " to " + path
	}
	if message != "" {
		text += "; " + message
	}
	return text + "."
}

// ErrorText turns an error from a Controller command into a sentence.
func ErrorText(err error) string {
	var fe *phone.FieldError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &fe):
		return capitalize(fe.Field) + ": " + fe.Message
	case errors.Is(err, phone.ErrBusy):
		return "The phone is busy; try again in a moment."
	case errors.Is(err, phone.ErrNoSuchCall):
		return "That call has already ended."
	case errors.Is(err, phone.ErrNoSuchAccount):
		return "That account no longer exists."
	case errors.Is(err, phone.ErrNotRegistered):
		return "The account is not registered yet."
	case errors.Is(err, phone.ErrBadState):
		return "Not possible in this call state."
	case errors.Is(err, phone.ErrStopped):
		return "The phone has stopped."
	case errors.Is(err, phone.ErrNotSupported):
		return "This call cannot be transferred: its connection does not support it."
	case errors.Is(err, phone.ErrNoParkCode):
		return "Set a park code for this account first (Accounts → Edit)."
	case errors.Is(err, phone.ErrAmbiguousCall):
		return "There are several calls; use the buttons on the call's card."
	}
	return capitalize(err.Error())
}

func capitalize(s string) string {
	r := []rune(s)
	if len(r) > 0 {
		r[0] = unicode.ToUpper(r[0])
	}
	return string(r)
}

// ErrBadTarget is wrapped by NormalizeTarget's errors.
var ErrBadTarget = errors.New("not a number or SIP address")

// numberNoise are characters people paste inside phone numbers.
const numberNoise = " \t-.()/\u00a0\u2010\u2011\u2012\u2013\u2014\u2212"

// NormalizeTarget turns what an agent typed or pasted into a dial target:
// sip:, sips: and tel: URIs are checked and kept (noise stripped from tel
// numbers), user@host and IP addresses become sip: URIs, and numbers lose
// spaces, dashes, dots, slashes and parentheses ("+1 (555) 010-0199" →
// "+15550100199"). The error is a sentence for the user.
func NormalizeTarget(s string) (string, error) {
	s = strings.TrimSpace(s)
	s = strings.Trim(s, "<>")
	if s == "" {
		return "", fmt.Errorf("%w: type a number or a SIP address", ErrBadTarget)
	}
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "tel:"):
		n, ok := cleanNumber(s[4:])
		if !ok {
			return "", fmt.Errorf("%w: %q is not a phone number", ErrBadTarget, s[4:])
		}
		return "tel:" + n, nil
	case strings.HasPrefix(lower, "sip:"), strings.HasPrefix(lower, "sips:"):
		u, err := phone.ParseURI(s)
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrBadTarget, err)
		}
		return u.String(), nil
	}
	if n, ok := cleanNumber(s); ok {
		return n, nil
	}
	host := s
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		host = s[i+1:]
	}
	if strings.Contains(s, "@") || net.ParseIP(strings.Trim(host, "[]")) != nil || isHostPort(host) {
		u, err := phone.ParseURI("sip:" + s)
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrBadTarget, err)
		}
		return u.String(), nil
	}
	return "", fmt.Errorf("%w: %q; type a number like +1 555 010 0199 or an address like sip:alice@example.com", ErrBadTarget, s)
}

func isHostPort(s string) bool {
	h, _, err := net.SplitHostPort(s)
	return err == nil && net.ParseIP(strings.Trim(h, "[]")) != nil
}

// cleanNumber strips numberNoise; the rest must be an optional leading +
// followed by digits, * and #. Dotted IPv4 addresses are not numbers.
func cleanNumber(s string) (string, bool) {
	if net.ParseIP(s) != nil {
		return "", false
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case strings.ContainsRune(numberNoise, r):
		case r >= '0' && r <= '9', r == '*', r == '#':
			b.WriteRune(r)
		case r == '+' && b.Len() == 0 && i == strings.IndexRune(s, '+'):
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	n := b.String()
	return n, n != "" && n != "+"
}

// IsDialpadKey reports whether r belongs on the dialpad (or in DTMF).
func IsDialpadKey(r rune) bool {
	return r >= '0' && r <= '9' || r == '*' || r == '#'
}

// TrayStatus is the status line of the system tray menu: registration
// state and the number of calls, e.g. "Registered · 1 call",
// "1 of 2 accounts registered", "Direct IP · no calls".
func TrayStatus(vm ViewModel, dnd bool) string {
	reg := 0
	for _, a := range vm.Accounts {
		if a.Tone == ToneOK {
			reg++
		}
	}
	var s string
	switch {
	case len(vm.Accounts) == 0:
		s = "Direct IP"
	case reg == len(vm.Accounts):
		s = "Registered"
	case reg == 0:
		s = "Not registered"
	default:
		s = fmt.Sprintf("%d of %d accounts registered", reg, len(vm.Accounts))
	}
	switch n := len(vm.Calls); n {
	case 0:
		s += " · no calls"
	case 1:
		s += " · 1 call"
	default:
		s += fmt.Sprintf(" · %d calls", n)
	}
	if dnd {
		s += " · Do not disturb"
	}
	return s
}

// CodecOrder is the codec list the Codecs settings show: the stored order,
// then any known codec (app.DefaultCodecs) the stored list lacks; unknown
// and duplicate names are kept once, in place.
func CodecOrder(stored, known []string) []string {
	out := make([]string, 0, len(stored)+len(known))
	for _, c := range append(slices.Clone(stored), known...) {
		if c = strings.TrimSpace(c); c != "" && !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, c) }) {
			out = append(out, c)
		}
	}
	return out
}

// MoveCodec returns a copy of codecs with the one at i moved by delta
// places (clamped to the list); an out-of-range i returns an unchanged copy.
func MoveCodec(codecs []string, i, delta int) []string {
	out := slices.Clone(codecs)
	if i < 0 || i >= len(out) {
		return out
	}
	j := min(max(i+delta, 0), len(out)-1)
	c := out[i]
	out = slices.Delete(out, i, i+1)
	return slices.Insert(out, j, c)
}

// CodecLabel is how the Codecs settings name a codec.
func CodecLabel(c string) string {
	switch strings.ToUpper(c) {
	case "OPUS":
		return "Opus (wideband, 48 kHz)"
	case "G722":
		return "G.722 (wideband, 16 kHz)"
	case "PCMU":
		return "G.711 µ-law (PCMU)"
	case "PCMA":
		return "G.711 A-law (PCMA)"
	}
	return c
}

// IncomingNotice is the body of the desktop notification for a ringing
// call: the caller and, when it differs, the address.
func IncomingNotice(c CallView) string {
	if c.Subtitle != "" && c.Subtitle != c.Title {
		return c.Title + " (" + c.Subtitle + ")"
	}
	return c.Title
}
