package ui

import (
	"fmt"
	"slices"
	"strings"

	"switchboard/phone"
)

// This file is the pure part of moving calls: transfer, flip and park
// progress, the attended-transfer pairing and the local conference, turned
// into CallView and ViewModel fields and words.

// CallMoves is what the UI has learnt from events about moving calls,
// beyond the snapshot: the latest transfer, flip or park progress of each
// call (keyed by the call being moved) and the calls in the local
// conference.
type CallMoves struct {
	Progress   map[phone.CallID]phone.TransferInfo
	Conference []phone.CallID
	// ServerRec is the latest server recording message of each call
	// (phone.EvRecording, or pending while asked; ServerRecNoteText).
	ServerRec map[phone.CallID]string
	// Diverting are the ringing calls the agent sent to voicemail,
	// forwarded or replied to, with what the card says until the server
	// takes them over ("Sending to voicemail…").
	Diverting map[phone.CallID]string
}

// MoveHintText says which account settings Park and Flip lack ("" when
// neither).
func MoveHintText(noPark, noDevices bool) string {
	switch {
	case noPark && noDevices:
		return "Park and Flip: set a park code and your devices in Accounts → Edit."
	case noPark:
		return "Park: set a park code in Accounts → Edit."
	case noDevices:
		return "Flip: add your devices in Accounts → Edit."
	}
	return ""
}

// moving reports whether a transfer, flip or park is under way.
func moving(ti phone.TransferInfo) bool {
	switch ti.State {
	case phone.XferDone, phone.XferFailed, phone.XferCancelled, "":
		return false
	}
	return true
}

// PresentMoves fills vm's call-moving fields from the snapshot it was made
// of, the configured accounts (park code, devices) and m. It is pure and
// does not modify m.
func PresentMoves(vm ViewModel, s phone.Snapshot, accounts []phone.Account, m CallMoves) ViewModel {
	info := map[phone.CallID]phone.CallInfo{}
	for _, c := range s.Calls {
		info[c.ID] = c
	}
	acct := map[string]phone.Account{}
	for _, a := range accounts {
		id := a.ID
		if id == "" {
			id = a.AOR
		}
		acct[id] = a
	}
	// consultOf maps a consultation call to the call being transferred.
	consultOf := map[phone.CallID]phone.CallID{}
	for id, ti := range m.Progress {
		if ti.Consult != "" && moving(ti) {
			consultOf[ti.Consult] = id
		}
	}
	inConf := map[phone.CallID]bool{}
	answered := 0
	for i := range vm.Calls {
		cv := &vm.Calls[i]
		c := info[cv.ID]
		up := c.State == phone.StateActive || c.State == phone.StateHeld
		if up {
			answered++
		}
		cv.InConference = slices.Contains(m.Conference, cv.ID)
		if cv.InConference {
			inConf[cv.ID] = true
		}
		ti, hasMove := m.Progress[cv.ID]
		busy := hasMove && moving(ti)
		_, isConsult := consultOf[cv.ID]
		free := up && !busy && !isConsult && !cv.InConference
		a := acct[c.AccountID]
		cv.Devices = slices.Clone(a.MyDevices)
		cv.CanTransfer = free
		cv.CanPark = free && a.ParkCode != ""
		cv.CanFlip = free && len(a.MyDevices) > 0
		if up && c.AccountID != "" {
			cv.MoveHint = MoveHintText(a.ParkCode == "", len(a.MyDevices) == 0)
		}
		if hasMove {
			cv.Move, cv.MoveTone = MoveText(ti, a.MyDevices)
		}
		if msg, ok := m.ServerRec[cv.ID]; ok {
			cv.ServerRecNote, cv.ServerRecTone = ServerRecNoteText(msg)
		}
		if text, ok := m.Diverting[cv.ID]; ok && cv.Incoming {
			// Answer and Decline stay: the server may still refuse.
			cv.State, cv.CanDivert, cv.CanReply = text, false, false
		}
		switch {
		case busy && ti.Consult != "":
			k, ok := info[ti.Consult]
			cv.CanCancelMove = true
			cv.ConsultWith = ti.Consult
			cv.Attended = ti.Kind == phone.XferAttended
			cv.CanComplete = cv.Attended && ok && (k.State == phone.StateActive || k.State == phone.StateHeld)
			if ok && cv.Attended && ti.State == phone.XferConsulting {
				name, _ := PeerText(k.PeerName, k.Peer)
				if cv.CanComplete {
					cv.Move = "Consulting " + name + "; the caller is on hold."
				} else {
					cv.Move = "Calling " + name + " to consult; the caller is on hold."
				}
			}
		case isConsult:
			orig := consultOf[cv.ID]
			oti := m.Progress[orig]
			o := info[orig]
			who, _ := PeerText(o.PeerName, o.Peer)
			cv.ConsultWith = orig
			cv.CanCancelMove = true
			cv.Attended = oti.Kind == phone.XferAttended
			cv.CanComplete = cv.Attended && up
			if oti.Kind == phone.XferFlip {
				cv.Move, cv.MoveTone = "Your device: the call with "+who+" moves here when you answer", TonePending
			} else {
				cv.Move, cv.MoveTone = "Consultation: "+who+" is on hold, waiting to be transferred", TonePending
			}
		}
	}
	for _, id := range m.Conference {
		if c, ok := info[id]; ok {
			who, _ := PeerText(c.PeerName, c.Peer)
			vm.Conference = append(vm.Conference, id)
			vm.ConferenceNames = append(vm.ConferenceNames, who)
		}
	}
	outside := answered - len(inConf)
	consulting := len(consultOf) > 0
	vm.CanMerge = answered >= 2 && !consulting && (len(vm.Conference) == 0 || outside > 0)
	for i := range vm.Calls {
		cv := &vm.Calls[i]
		c := info[cv.ID]
		up := c.State == phone.StateActive || c.State == phone.StateHeld
		if !up || cv.ConsultWith != "" {
			continue
		}
		for _, o := range vm.Calls {
			oc := info[o.ID]
			if o.ID != cv.ID && o.ConsultWith == "" && (oc.State == phone.StateActive || oc.State == phone.StateHeld) {
				cv.TransferTo = append(cv.TransferTo, DialOption{ID: string(o.ID), Label: o.Title})
			}
		}
	}
	if vm.Incoming != nil {
		if cv, ok := findCall(vm.Calls, vm.Incoming.ID); ok {
			vm.Incoming = &cv
		}
	}
	return vm
}

// findCall returns the card view of call id in calls.
func findCall(calls []CallView, id phone.CallID) (CallView, bool) {
	for _, c := range calls {
		if c.ID == id {
			return c, true
		}
	}
	return CallView{}, false
}

// ConferenceText is the conference bar's line: "Conference: Bob, Carol",
// or, before one, an invitation to merge the calls.
func ConferenceText(vm ViewModel) string {
	if len(vm.ConferenceNames) > 0 {
		return "Conference: " + strings.Join(vm.ConferenceNames, ", ")
	}
	if vm.CanMerge {
		return "Talk to all your calls at once:"
	}
	return ""
}

// MoveText is the card's progress line for a transfer, flip or park, and
// its tone. devices name flip targets.
func MoveText(ti phone.TransferInfo, devices []phone.Device) (string, Tone) {
	to, _ := PeerText("", ti.Target)
	for _, d := range devices {
		if d.Target == ti.Target && d.Name != "" {
			to = d.Name
		}
	}
	switch ti.Kind {
	case phone.XferFlip:
		switch ti.State {
		case phone.XferConsulting, phone.XferTrying:
			return "Flipping to " + to + "…", TonePending
		case phone.XferRinging:
			return "Flipping to " + to + ": ringing…", TonePending
		case phone.XferDone:
			return "Flipped to " + to + ".", ToneOK
		case phone.XferFailed:
			return "Could not flip to " + to + ": " + FailureText(ti.Code, ti.Reason) + ". The call is still here.", ToneError
		case phone.XferCancelled:
			return "Flip cancelled; the call is still here.", ToneNeutral
		}
	case phone.XferPark:
		switch ti.State {
		case phone.XferConsulting, phone.XferTrying, phone.XferRinging:
			return "Parking…", TonePending
		case phone.XferDone:
			if ti.Extension != "" {
				return "Parked at " + ti.Extension + " (dial *" + ti.Extension + " to pick it up).", ToneOK
			}
			return "Parked.", ToneOK
		case phone.XferFailed:
			return "Could not park the call: " + FailureText(ti.Code, ti.Reason) + ". The call is still here.", ToneError
		case phone.XferCancelled:
			return "Park cancelled.", ToneNeutral
		}
	case phone.XferReferred:
		switch ti.State {
		case phone.XferFailed:
			return "The other side's transfer to " + to + " failed: " + FailureText(ti.Code, ti.Reason) + ".", ToneError
		case phone.XferDone:
			return "Transferred by the other side to " + to + ".", ToneOK
		default:
			return "The other side is transferring you to " + to + "…", TonePending
		}
	}
	switch ti.State {
	case phone.XferConsulting:
		return "Consulting " + to + "; the caller is on hold.", TonePending
	case phone.XferTrying:
		return "Transferring to " + to + "…", TonePending
	case phone.XferRinging:
		return "Transferring to " + to + ": ringing…", TonePending
	case phone.XferDone:
		return "Transferred to " + to + ".", ToneOK
	case phone.XferFailed:
		return "Transfer to " + to + " failed: " + FailureText(ti.Code, ti.Reason) + ". The caller is still with you.", ToneError
	case phone.XferCancelled:
		return "Transfer cancelled; the caller is back with you.", ToneNeutral
	}
	return "", ToneNeutral
}

// FailureText says in plain words why a transfer failed, from the SIP
// status (0 if none) and the phone's reason.
func FailureText(code int, reason string) string {
	var why string
	switch code {
	case 486, 600:
		why = "the line is busy"
	case 480:
		why = "nobody is available there right now"
	case 404, 604:
		why = "that number was not found"
	case 603:
		why = "the call was declined"
	case 408, 487:
		why = "nobody answered"
	case 401, 403, 407:
		why = "the phone system did not allow it"
	case 405, 420, 501:
		why = "the phone system does not support transfers"
	case 484:
		why = "the number is incomplete"
	}
	reason = strings.TrimSpace(reason)
	switch {
	case why != "" && reason != "" && !strings.EqualFold(reason, why):
		return fmt.Sprintf("%s (%s)", why, reason)
	case why != "":
		return why
	case reason != "" && code != 0:
		return fmt.Sprintf("%s (%d)", reason, code)
	case reason != "":
		return reason
	case code != 0:
		return fmt.Sprintf("the phone system answered %d", code)
	}
	return "no reason given"
}

// TransferNotice is the status line when a transfer, flip or park
// finishes (done, failed or cancelled), else "".
func TransferNotice(c phone.CallInfo, ti phone.TransferInfo, devices []phone.Device) string {
	if moving(ti) {
		return ""
	}
	who, _ := PeerText(c.PeerName, c.Peer)
	text, _ := MoveText(ti, devices)
	if text == "" {
		return ""
	}
	return who + ": " + text
}
