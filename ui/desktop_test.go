package ui

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"switchboard/app"
	"switchboard/phone"
)

// fakeAudio is a scripted AudioSystem.
type fakeAudio struct {
	mu     sync.Mutex
	tested []string
}

func (a *fakeAudio) Devices(context.Context) (in, out []AudioDevice, err error) {
	return []AudioDevice{{ID: "mic0", Name: "Built-in Microphone", Default: true}, {ID: "mic1", Name: "USB Headset"}},
		[]AudioDevice{{ID: "spk0", Name: "Built-in Speakers", Default: true}, {ID: "spk1", Name: "USB Headset"}}, nil
}

func (a *fakeAudio) TestSpeaker(_ context.Context, id string) error {
	a.mu.Lock()
	a.tested = append(a.tested, id)
	a.mu.Unlock()
	return nil
}

func (a *fakeAudio) Tested() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.tested)
}

// openSettings opens the Settings dialog and waits for its device lists.
func openSettings(t *testing.T, h *harness) *prefsDialog {
	t.Helper()
	p := h.u.showSettings()
	select {
	case <-p.devicesLoaded:
	case <-time.After(5 * time.Second):
		t.Fatal("device lists never arrived")
	}
	return p
}

func lastSaved(t *testing.T, h *harness) app.Settings {
	t.Helper()
	if len(h.saved) == 0 {
		t.Fatal("settings never saved")
	}
	return h.saved[len(h.saved)-1]
}

func TestAudioSettingsPickDevices(t *testing.T) {
	h := newHarness(t, phone.Snapshot{})
	fa := &fakeAudio{}
	h.u.audio = fa
	h.st.OutputDevice = "gone" // a headset unplugged since
	h.start(t)
	p := openSettings(t, h)

	if got := p.input.Options; !slices.Equal(got, []string{systemDefaultLabel, "Built-in Microphone (default)", "USB Headset"}) {
		t.Fatalf("input options %q", got)
	}
	if p.input.Selected != systemDefaultLabel || p.output.Selected != "Saved device (not connected)" {
		t.Fatalf("selected %q / %q", p.input.Selected, p.output.Selected)
	}
	if len(h.saved) != 0 {
		t.Fatal("filling the pickers saved settings")
	}
	p.input.SetSelected("USB Headset")
	p.output.SetSelected("USB Headset")
	p.ringer.SetSelected("Built-in Speakers (default)")
	s := lastSaved(t, h)
	if s.InputDevice != "mic1" || s.OutputDevice != "spk1" || s.RingerDevice != "spk0" {
		t.Fatalf("saved devices %q %q %q", s.InputDevice, s.OutputDevice, s.RingerDevice)
	}
	if h.st.InputDevice != "mic1" {
		t.Fatal("live settings not updated")
	}
	p.output.SetSelected(systemDefaultLabel)
	if lastSaved(t, h).OutputDevice != "" {
		t.Fatal("system default not stored as empty")
	}

	done := h.expect(func() bool { return strings.HasPrefix(h.u.notice.Text, "Did you hear") })
	test.Tap(p.testRing)
	done(t)
	if got := fa.Tested(); !slices.Equal(got, []string{"spk0"}) {
		t.Fatalf("tested %q", got)
	}
}

func TestAudioSettingsWithoutDevices(t *testing.T) {
	h := newHarness(t, phone.Snapshot{})
	p := openSettings(t, h)
	if !p.testSpeaker.Disabled() || !strings.Contains(p.audioNote.Text, "not available") {
		t.Fatalf("test button enabled %v, note %q", !p.testSpeaker.Disabled(), p.audioNote.Text)
	}
}

func TestEchoTestLevelMeter(t *testing.T) {
	h := newHarness(t, phone.Snapshot{})
	h.u.levels = LevelFunc(func() float64 { return 0.5 })
	h.start(t)
	p := openSettings(t, h)
	metered := h.expect(func() bool { return p.level.Value == 0.5 })
	test.Tap(p.echo)
	ctx := <-h.fake.echo
	metered(t)
	if p.echo.Text != "Stop echo test" || h.u.echoBtn.Text != "Stop echo test" {
		t.Fatalf("echo buttons %q / %q", p.echo.Text, h.u.echoBtn.Text)
	}
	stopped := h.expect(func() bool { return p.echo.Text == "Echo test" && p.level.Value == 0 })
	test.Tap(p.echo)
	<-ctx.Done()
	stopped(t)
}

func TestCodecReorder(t *testing.T) {
	h := newHarness(t, phone.Snapshot{})
	h.st.Codecs = []string{"opus", "G722", "PCMU"} // PCMA missing: it is appended
	p := openSettings(t, h)
	if !slices.Equal(p.codecs, []string{"opus", "G722", "PCMU", "PCMA"}) {
		t.Fatalf("shown %q", p.codecs)
	}
	if !p.up["opus"].Disabled() || !p.down["PCMA"].Disabled() {
		t.Fatal("ends not disabled")
	}
	test.Tap(p.down["opus"])
	test.Tap(p.up["PCMA"])
	want := []string{"G722", "opus", "PCMA", "PCMU"}
	if got := lastSaved(t, h).Codecs; !slices.Equal(got, want) {
		t.Fatalf("saved %q, want %q", got, want)
	}
	if !slices.Equal(h.st.Codecs, want) {
		t.Fatalf("settings %q", h.st.Codecs)
	}
	test.Tap(buttons(p.tabs.Items[1].Content, "Default order")[0])
	if got := lastSaved(t, h).Codecs; !slices.Equal(got, app.DefaultCodecs) {
		t.Fatalf("reset to %q", got)
	}
}

func TestNetworkSettings(t *testing.T) {
	h := newHarness(t, phone.Snapshot{})
	p := openSettings(t, h)
	if p.sipPort.Text != "5060" {
		t.Fatalf("SIP port shown %q", p.sipPort.Text)
	}
	p.rtpMin.SetText("20000")
	p.rtpMax.SetText("10000")
	test.Tap(p.netSave)
	if !p.netErr.Visible() || !strings.Contains(p.netErr.Text, "RTP ports") || len(h.saved) != 0 {
		t.Fatalf("bad range accepted: %q", p.netErr.Text)
	}
	p.sipPort.SetText("5070")
	p.rtpMin.SetText("10000")
	p.rtpMax.SetText("10999")
	p.stun.SetText("stun.example.com")
	test.Tap(p.netSave)
	s := lastSaved(t, h)
	if s.ListenAddr != "0.0.0.0:5070" || s.RTPPortMin != 10000 || s.RTPPortMax != 10999 || s.STUN != "stun.example.com:3478" {
		t.Fatalf("saved %+v", s)
	}
	if p.netErr.Visible() || !strings.Contains(h.u.notice.Text, "next time") {
		t.Fatalf("error %q, notice %q", p.netErr.Text, h.u.notice.Text)
	}
}

func TestTraceViewerShowsRedactedMessages(t *testing.T) {
	h := newHarness(t, phone.Snapshot{})
	buf := app.NewTraceBuffer(nil, 10)
	h.u.trace = buf
	h.start(t)
	log := slog.New(buf).With("component", app.TraceComponent)
	// One message as the backend logs it (already redacted) and one it
	// forgot to redact: the viewer must show neither secret.
	log.Debug(app.TraceOut, "transport", "udp", "from", "10.0.0.1:5060", "to", "10.0.0.2:5060",
		"msg", "REGISTER sip:example.com SIP/2.0\r\nAuthorization: Digest [redacted]\r\nCSeq: 2 REGISTER\r\n\r\n")
	log.Debug(app.TraceIn, "transport", "udp", "from", "10.0.0.2:5060", "to", "10.0.0.1:5060",
		"msg", "SIP/2.0 200 OK\r\nProxy-Authorization: Digest username=\"alice\", response=\"hunter2\"\r\n\r\n")
	h.u.showTrace()
	v := h.u.traceView
	if v == nil {
		t.Fatal("no trace window")
	}
	all := strings.Join(v.lines, "\n")
	for _, want := range []string{"SIP out udp 10.0.0.1:5060 → 10.0.0.2:5060", "REGISTER sip:example.com", "SIP/2.0 200 OK",
		"Proxy-Authorization: Digest [redacted]"} {
		if !strings.Contains(all, want) {
			t.Errorf("viewer lacks %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "hunter2") || strings.Contains(all, "alice") {
		t.Fatalf("viewer shows a secret:\n%s", all)
	}
	if strings.Index(all, "REGISTER") > strings.Index(all, "200 OK") {
		t.Fatal("newest message not last")
	}
	if !strings.HasPrefix(v.count.Text, "2 messages") {
		t.Fatalf("count %q", v.count.Text)
	}

	// A new message appears while the window is open.
	more := h.expect(func() bool { return len(v.lines) > 0 && strings.Contains(v.lines[len(v.lines)-1], "BYE") })
	log.Debug(app.TraceOut, "transport", "udp", "msg", "BYE sip:bob@example.com SIP/2.0\r\n\r\n")
	more(t)

	test.Tap(v.copy)
	clip := fyne.CurrentApp().Clipboard().Content()
	if !strings.Contains(clip, "REGISTER") || !strings.Contains(clip, "BYE") || strings.Contains(clip, "hunter2") {
		t.Fatalf("clipboard %q", clip)
	}
	v.win.Close()
	if h.u.traceView != nil {
		t.Fatal("viewer still registered after close")
	}
}

func TestTrayMenuAndDoNotDisturb(t *testing.T) {
	h := newHarness(t, phone.Snapshot{Accounts: []phone.RegStatus{registered("alice")}}, alice())
	var notes []string
	h.u.notify = func(title, body string) { notes = append(notes, title+": "+body) }
	h.start(t)
	m := h.u.trayMenu
	var labels []string
	for _, it := range m.Items {
		if !it.IsSeparator {
			labels = append(labels, it.Label)
		}
	}
	want := []string{"Registered · no calls", trayShow, trayDND, "Settings…", "SIP trace…", trayQuit}
	if !slices.Equal(labels, want) {
		t.Fatalf("tray menu %q, want %q", labels, want)
	}
	if !m.Items[len(m.Items)-1].IsQuit || !m.Items[0].Disabled {
		t.Fatal("quit item or status line wrong")
	}

	// With DND off a call rings and a notification is sent.
	snap := h.fake.Snapshot()
	snap.Calls = []phone.CallInfo{incomingCall()}
	rang := h.expect(func() bool { return h.u.incoming.shown })
	h.fake.publish(snap, phone.Event{Kind: phone.EvIncoming, Call: &snap.Calls[0]})
	rang(t)
	if len(notes) != 1 || notes[0] != "Incoming call: Bob Customer (+15550100199@example.com)" {
		t.Fatalf("notifications %q", notes)
	}
	if h.u.trayStatus.Label != "Registered · 1 call" {
		t.Fatalf("tray status %q", h.u.trayStatus.Label)
	}
	idle := h.fake.Snapshot()
	idle.Calls = nil
	gone := h.expect(func() bool { return !h.u.incoming.shown })
	h.fake.publish(idle, phone.Event{Kind: phone.EvEnded, Call: &snap.Calls[0]})
	gone(t)

	// DND from the tray: the next call is declined busy, without overlay
	// or notification.
	h.u.trayDND.Action()
	if !h.st.DoNotDisturb || !lastSaved(t, h).DoNotDisturb || !h.u.trayDND.Checked ||
		!strings.HasSuffix(h.u.trayStatus.Label, "Do not disturb") {
		t.Fatalf("DND not on: %v, status %q", h.st.DoNotDisturb, h.u.trayStatus.Label)
	}
	if !h.u.dndLine.Visible() {
		t.Fatal("no Do not disturb line in the window")
	}
	second := incomingCall()
	second.ID = "c2"
	snap.Calls = []phone.CallInfo{second}
	declined := h.expect(func() bool { return slices.Contains(h.fake.Recorded(), "Decline(c2,true)") })
	h.fake.publish(snap, phone.Event{Kind: phone.EvIncoming, Call: &snap.Calls[0]})
	declined(t)
	if h.u.incoming.shown || len(notes) != 1 {
		t.Fatalf("overlay %v, notifications %q", h.u.incoming.shown, notes)
	}
	n := 0
	for _, r := range h.fake.Recorded() {
		if strings.HasPrefix(r, "Decline(") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("declined %d times: %q", n, h.fake.Recorded())
	}
	test.Tap(buttons(h.u.dndLine, "Turn off")[0])
	if h.st.DoNotDisturb || h.u.dndLine.Visible() || h.u.trayDND.Checked {
		t.Fatal("Turn off did not end Do not disturb")
	}
}

func TestCloseToTrayAsksOnce(t *testing.T) {
	h := newHarness(t, phone.Snapshot{})
	h.u.trayOn = true
	h.u.requestClose()
	// The question is a confirm dialog; answer it Yes.
	yes := buttons(h.win.Canvas().Overlays().Top(), "Yes")
	if len(yes) != 1 {
		t.Fatal("no question asked")
	}
	test.Tap(yes[0])
	if s := lastSaved(t, h); !s.TrayAsked || !s.CloseToTray {
		t.Fatalf("saved %+v", s)
	}
	n := len(h.saved)
	h.u.requestClose() // asks no more
	if h.win.Canvas().Overlays().Top() != nil || len(h.saved) != n {
		t.Fatal("asked again")
	}
}

func TestTrayStatusAndCodecHelpers(t *testing.T) {
	ok := AccountView{Tone: ToneOK}
	bad := AccountView{Tone: ToneError}
	for _, c := range []struct {
		vm   ViewModel
		dnd  bool
		want string
	}{
		{ViewModel{}, false, "Direct IP · no calls"},
		{ViewModel{Accounts: []AccountView{ok}, Calls: make([]CallView, 2)}, false, "Registered · 2 calls"},
		{ViewModel{Accounts: []AccountView{ok, bad}}, true, "1 of 2 accounts registered · no calls · Do not disturb"},
		{ViewModel{Accounts: []AccountView{bad}, Calls: make([]CallView, 1)}, false, "Not registered · 1 call"},
	} {
		if got := TrayStatus(c.vm, c.dnd); got != c.want {
			t.Errorf("TrayStatus = %q, want %q", got, c.want)
		}
	}
	if got := CodecOrder([]string{"PCMA", "pcma", " ", "x"}, app.DefaultCodecs); !slices.Equal(got, []string{"PCMA", "x", "opus", "G722", "PCMU"}) {
		t.Errorf("CodecOrder = %q", got)
	}
	in := []string{"a", "b", "c"}
	if got := MoveCodec(in, 0, -1); !slices.Equal(got, in) {
		t.Errorf("move top up = %q", got)
	}
	if got := MoveCodec(in, 2, -2); !slices.Equal(got, []string{"c", "a", "b"}) || !slices.Equal(in, []string{"a", "b", "c"}) {
		t.Errorf("move = %q (input %q)", got, in)
	}
	lines := TraceLines([]app.TraceEntry{{Time: t0, Msg: "A\r\nB\r\n\r\n"}, {Time: t0, Out: true, Msg: "C"}})
	want := []string{"12:00:00.000 SIP in", "  A", "  B", "", "12:00:00.000 SIP out", "  C"}
	if !slices.Equal(lines, want) {
		t.Errorf("TraceLines = %q", lines)
	}
}

// switchAudio is a fakeAudio that switches devices live.
type switchAudio struct {
	fakeAudio
	switched []string
}

func (a *switchAudio) SwitchDevice(capture bool, id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.switched = append(a.switched, fmt.Sprintf("%v:%s", capture, id))
	return nil
}

func TestAudioSettingsSwitchLive(t *testing.T) {
	h := newHarness(t, phone.Snapshot{})
	sa := &switchAudio{}
	h.u.audio = sa
	h.start(t)
	p := openSettings(t, h)
	p.output.SetSelected("USB Headset")
	p.input.SetSelected("USB Headset")
	p.ringer.SetSelected("USB Headset") // the ringer is not switched live
	sa.mu.Lock()
	got := slices.Clone(sa.switched)
	sa.mu.Unlock()
	if !slices.Equal(got, []string{"false:spk1", "true:mic1"}) {
		t.Fatalf("switched %q", got)
	}
	if s := lastSaved(t, h); s.OutputDevice != "spk1" || s.InputDevice != "mic1" || s.RingerDevice != "spk1" {
		t.Fatalf("saved %+v", s)
	}
	p.output.SetSelected("Built-in Speakers (default)")
	done := h.expect(func() bool { return h.u.notice.Text == "Speaker: now using Built-in Speakers." })
	h.fake.publish(h.fake.Snapshot(), phone.Event{Kind: evAudioDevice, Message: "playback device: spk0"})
	done(t)
	lost := h.expect(func() bool { return strings.HasPrefix(h.u.notice.Text, "Sound device stopped") })
	h.fake.publish(h.fake.Snapshot(), phone.Event{Kind: evAudioDevice, Message: "sound device stopped (unplugged?); now using the system default"})
	lost(t)
}

// processingAudio records echo-cancellation/noise-suppression switches.
type processingAudio struct {
	fakeAudio
	set []string
}

func (a *processingAudio) SetProcessing(echo, noise bool) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.set = append(a.set, fmt.Sprintf("echo=%v noise=%v", echo, noise))
	return true
}

// TestAudioSettingsProcessing: echo cancellation and noise suppression are
// on by default, switch at once and are saved.
func TestAudioSettingsProcessing(t *testing.T) {
	h := newHarness(t, phone.Snapshot{})
	pa := &processingAudio{}
	h.u.audio = pa
	h.start(t)
	p := openSettings(t, h)
	if !p.echoCancel.Checked || !p.denoise.Checked {
		t.Fatal("echo cancellation and noise suppression should start on")
	}
	test.Tap(p.denoise)
	if s := lastSaved(t, h); !s.NoiseSuppressionOff || s.EchoCancelOff {
		t.Fatalf("saved %+v", s)
	}
	test.Tap(p.echoCancel)
	pa.mu.Lock()
	got := slices.Clone(pa.set)
	pa.mu.Unlock()
	if !slices.Equal(got, []string{"echo=true noise=false", "echo=false noise=false"}) {
		t.Fatalf("applied %q", got)
	}
	if s := lastSaved(t, h); !s.EchoCancelOff {
		t.Fatalf("saved %+v", s)
	}
}

// gainAudio records gain settings.
type gainAudio struct {
	fakeAudio
	set []string
}

func (a *gainAudio) SetGains(mic, spk int) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.set = append(a.set, fmt.Sprintf("mic=%d spk=%d", mic, spk))
	return true
}

// TestAudioSettingsGains: the mic gain and volume sliders start at 100 %,
// apply at once and are saved.
func TestAudioSettingsGains(t *testing.T) {
	h := newHarness(t, phone.Snapshot{})
	ga := &gainAudio{}
	h.u.audio = ga
	h.start(t)
	p := openSettings(t, h)
	if p.micGain.Value != 100 || p.spkVolume.Value != 100 || p.micGain.Disabled() {
		t.Fatalf("sliders %v %v disabled=%v", p.micGain.Value, p.spkVolume.Value, p.micGain.Disabled())
	}
	p.micGain.SetValue(150)
	p.micGain.OnChangeEnded(150)
	p.spkVolume.SetValue(60)
	p.spkVolume.OnChangeEnded(60)
	ga.mu.Lock()
	got := slices.Clone(ga.set)
	ga.mu.Unlock()
	if !slices.Equal(got, []string{"mic=150 spk=100", "mic=150 spk=60"}) {
		t.Fatalf("applied %q", got)
	}
	if s := lastSaved(t, h); s.MicGain != 150 || s.SpeakerVolume != 60 {
		t.Fatalf("saved %+v", s)
	}
}
