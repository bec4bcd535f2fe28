package ui

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportBoundaries enforces architecture.md 3.2: ui never reaches the
// SIP stack, the sound device, the keyring, or Fyne's app package.
func TestImportBoundaries(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skip("go list unavailable:", err)
	}
	forbidden := []string{
		"switchboard/phone/sip", "switchboard/phone/webrtc", "switchboard/phone/media",
		"switchboard/audio/device", "switchboard/app/keyring",
		"github.com/gen2brain/malgo", "github.com/zalando/go-keyring", "github.com/emiago/sipgo",
		"github.com/pion/", "fyne.io/fyne/v2/app",
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasSuffix(f, "/") && strings.HasPrefix(dep, f) {
				t.Errorf("ui depends on %s", dep)
			}
		}
	}
}
