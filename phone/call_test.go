package phone

import "testing"

// TestTransitions checks every (state, event) pair: each is either in the
// table with the expected result or rejected.
func TestTransitions(t *testing.T) {
	type key struct {
		s  CallState
		ev callEvent
	}
	want := map[key]CallState{
		{StateDialing, evProgress}:  StateRinging,
		{StateDialing, evAnswered}:  StateActive,
		{StateDialing, evEnd}:       StateEnded,
		{StateRinging, evProgress}:  StateRinging,
		{StateRinging, evAnswered}:  StateActive,
		{StateRinging, evEnd}:       StateEnded,
		{StateIncoming, evAnswered}: StateActive,
		{StateIncoming, evEnd}:      StateEnded,
		{StateActive, evHold}:       StateHeld,
		{StateActive, evResume}:     StateActive,
		{StateActive, evEnd}:        StateEnded,
		{StateHeld, evHold}:         StateHeld,
		{StateHeld, evResume}:       StateActive,
		{StateHeld, evEnd}:          StateEnded,
	}
	for s := StateIdle; s <= StateEnded; s++ {
		for ev := evProgress; ev <= evEnd; ev++ {
			got, ok := next(s, ev)
			w, allowed := want[key{s, ev}]
			if ok != allowed || (ok && got != w) {
				t.Errorf("%s + %d = %s,%v; want %s,%v", s, ev, got, ok, w, allowed)
			}
		}
	}
	if StateHeld.String() != "held" || CallState(42).String() != "state(42)" {
		t.Error("state names")
	}
}
