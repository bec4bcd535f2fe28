package ui

import (
	"slices"
	"testing"
	"time"

	"switchboard/phone"
)

func TestFailureText(t *testing.T) {
	for _, tc := range []struct {
		code   int
		reason string
		want   string
	}{
		{486, "Busy Here", "the line is busy (Busy Here)"},
		{486, "", "the line is busy"},
		{404, "Not Found", "that number was not found (Not Found)"},
		{501, "", "the phone system does not support transfers"},
		{0, "refer timed out", "refer timed out"},
		{499, "Odd", "Odd (499)"},
		{499, "", "the phone system answered 499"},
		{0, "", "no reason given"},
	} {
		if got := FailureText(tc.code, tc.reason); got != tc.want {
			t.Errorf("FailureText(%d, %q) = %q, want %q", tc.code, tc.reason, got, tc.want)
		}
	}
}

func TestMoveText(t *testing.T) {
	devs := []phone.Device{{Name: "Mobile", Target: "+15550100111"}}
	for _, tc := range []struct {
		ti   phone.TransferInfo
		want string
		tone Tone
	}{
		{phone.TransferInfo{Kind: phone.XferBlind, State: phone.XferTrying, Target: "sip:1002@example.com"}, "Transferring to 1002…", TonePending},
		{phone.TransferInfo{Kind: phone.XferBlind, State: phone.XferDone, Target: "1002"}, "Transferred to 1002.", ToneOK},
		{phone.TransferInfo{Kind: phone.XferAttended, State: phone.XferFailed, Target: "1002", Code: 603},
			"Transfer to 1002 failed: the call was declined. The caller is still with you.", ToneError},
		{phone.TransferInfo{Kind: phone.XferFlip, State: phone.XferRinging, Target: "+15550100111"}, "Flipping to Mobile: ringing…", TonePending},
		{phone.TransferInfo{Kind: phone.XferPark, State: phone.XferDone, Target: "*68"}, "Parked.", ToneOK},
		{phone.TransferInfo{Kind: phone.XferPark, State: phone.XferFailed, Code: 404}, "Could not park the call: that number was not found. The call is still here.", ToneError},
		{phone.TransferInfo{Kind: phone.XferReferred, State: phone.XferTrying, Target: "sip:carol@example.com"}, "The other side is transferring you to carol…", TonePending},
	} {
		got, tone := MoveText(tc.ti, devs)
		if got != tc.want || tone != tc.tone {
			t.Errorf("MoveText(%+v) = %q, %v; want %q, %v", tc.ti, got, tone, tc.want, tc.tone)
		}
	}
}

// TestPresentMoves checks the pure mapping: buttons and hints from the
// account, the attended pairing, Merge and the conference names, and the
// calls a call can be connected with.
func TestPresentMoves(t *testing.T) {
	a := agent()
	a.MyDevices = nil
	bob, carol := activeCall(), heldCarol()
	bob.PeerName = "Bob"
	s := phone.Snapshot{Calls: []phone.CallInfo{bob, carol}, Active: "c1"}
	present := func(m CallMoves) ViewModel {
		return PresentMoves(Present(s, []phone.Account{a}, t0), s, []phone.Account{a}, m)
	}
	vm := present(CallMoves{})
	c := vm.Calls[0]
	if !c.CanTransfer || !c.CanPark || c.CanFlip || c.MoveHint != "Flip: add your devices in Accounts → Edit." {
		t.Fatalf("call: %+v", c)
	}
	if !vm.CanMerge || len(vm.Conference) != 0 || ConferenceText(vm) != "Talk to all your calls at once:" {
		t.Fatalf("merge %v conference %v", vm.CanMerge, vm.Conference)
	}
	if !slices.Equal(c.TransferTo, []DialOption{{ID: "c2", Label: "Carol"}}) {
		t.Fatalf("transfer to %v", c.TransferTo)
	}

	vm = present(CallMoves{Conference: []phone.CallID{"c1", "c2"}})
	if vm.CanMerge || !vm.Calls[0].InConference || vm.Calls[0].CanTransfer || ConferenceText(vm) != "Conference: Bob, Carol" {
		t.Fatalf("conference: merge %v %+v %q", vm.CanMerge, vm.Calls[0], ConferenceText(vm))
	}

	// c2 is the consultation of a transfer of c1 (still ringing).
	s.Calls[1].State, s.Calls[1].AnsweredAt = phone.StateRinging, time.Time{}
	m := CallMoves{Progress: map[phone.CallID]phone.TransferInfo{
		"c1": {Kind: phone.XferAttended, State: phone.XferConsulting, Target: "2002", Consult: "c2"},
	}}
	vm = present(m)
	orig, k := vm.Calls[0], vm.Calls[1]
	if orig.ConsultWith != "c2" || !orig.Attended || orig.CanComplete || !orig.CanCancelMove || orig.CanTransfer {
		t.Fatalf("original: %+v", orig)
	}
	if orig.Move != "Calling Carol to consult; the caller is on hold." {
		t.Fatalf("original move %q", orig.Move)
	}
	if k.ConsultWith != "c1" || !k.Attended || k.CanComplete || k.Move != "Consultation: Bob is on hold, waiting to be transferred" {
		t.Fatalf("consultation: %+v", k)
	}
	if vm.CanMerge {
		t.Fatal("Merge offered during a consultation")
	}
	s.Calls[1].State = phone.StateActive
	vm = present(m)
	if !vm.Calls[0].CanComplete || !vm.Calls[1].CanComplete {
		t.Fatal("Complete not enabled once the target answered")
	}
	if len(m.Progress) != 1 || m.Progress["c1"].State != phone.XferConsulting {
		t.Fatal("PresentMoves modified its input")
	}
}
