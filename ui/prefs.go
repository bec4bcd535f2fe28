package ui

import (
	"context"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"switchboard/app"
	"switchboard/phone"
)

// Texts of the Settings dialog that tests look for.
const (
	systemDefaultLabel = "System default"
	// restartNote says when saved device, codec and network settings apply.
	restartNote = "Changes apply the next time Switchboard starts."
	// levelEvery is how often the level meter is refreshed.
	levelEvery = 100 * time.Millisecond
)

// prefsDialog is the Settings dialog: Audio, Codecs and Network tabs.
type prefsDialog struct {
	dlg  *dialog.CustomDialog
	tabs *container.AppTabs

	// Audio.
	input, output, ringer  *widget.Select
	inputIDs, outputIDs    map[string]string // label → device ID
	testSpeaker, testRing  *widget.Button
	echo                   *widget.Button
	level                  *widget.ProgressBar
	audioNote              *widget.Label
	echoCancel, denoise    *widget.Check
	micGain, spkVolume     *widget.Slider
	spkLevel               *widget.ProgressBar
	devicesLoaded          chan struct{} // closed when the device lists are in (tests)
	inputsList, outputList []AudioDevice

	// Codecs.
	codecBox *fyne.Container
	codecs   []string
	up, down map[string]*widget.Button

	// Network.
	sipPort, rtpMin, rtpMax, stun *widget.Entry
	netErr                        *widget.Label
	netSave                       *widget.Button
}

// showSettings opens the Settings dialog.
func (u *UI) showSettings() *prefsDialog {
	p := &prefsDialog{devicesLoaded: make(chan struct{})}
	p.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Audio", theme.VolumeUpIcon(), u.buildAudioPrefs(p)),
		container.NewTabItemWithIcon("Codecs", theme.ListIcon(), u.buildCodecPrefs(p)),
		container.NewTabItemWithIcon("Network", theme.ComputerIcon(), u.buildNetworkPrefs(p)),
	)
	p.dlg = dialog.NewCustomWithoutButtons("Settings", p.tabs, u.win)
	p.dlg.SetButtons([]fyne.CanvasObject{widget.NewButton("Close", func() { p.dlg.Hide() })})
	p.dlg.SetOnClosed(func() {
		if u.prefs == p {
			u.prefs = nil
		}
	})
	p.dlg.Resize(fyne.NewSize(440, 0))
	u.prefs = p
	p.dlg.Show()
	u.loadDevices(p)
	return p
}

// ---- audio ----

func (u *UI) buildAudioPrefs(p *prefsDialog) fyne.CanvasObject {
	p.input = widget.NewSelect([]string{systemDefaultLabel}, func(label string) {
		u.setDevice(&u.st.InputDevice, p.inputIDs, label, devMic)
	})
	p.output = widget.NewSelect([]string{systemDefaultLabel}, func(label string) {
		u.setDevice(&u.st.OutputDevice, p.outputIDs, label, devSpeaker)
	})
	p.ringer = widget.NewSelect([]string{systemDefaultLabel}, func(label string) {
		u.setDevice(&u.st.RingerDevice, p.outputIDs, label, devRinger)
	})
	for _, s := range []*widget.Select{p.input, p.output, p.ringer} {
		s.PlaceHolder = "Loading devices…"
		s.Disable()
	}
	p.testSpeaker = widget.NewButtonWithIcon("Test speaker", theme.VolumeUpIcon(), func() {
		u.testSpeaker(p.testSpeaker, u.st.OutputDevice)
	})
	p.testRing = widget.NewButtonWithIcon("Test ringer", theme.VolumeUpIcon(), func() {
		u.testSpeaker(p.testRing, orDefault(u.st.RingerDevice, u.st.OutputDevice))
	})
	if u.audio == nil {
		p.testSpeaker.Disable()
		p.testRing.Disable()
	}
	p.echo = widget.NewButtonWithIcon("Echo test", theme.MediaPlayIcon(), u.toggleEcho)
	if u.echoStop != nil {
		p.echo.SetText("Stop echo test")
		p.echo.SetIcon(theme.MediaStopIcon())
	}
	p.level = widget.NewProgressBar()
	p.level.TextFormatter = func() string { return "" }
	p.spkLevel = widget.NewProgressBar()
	p.spkLevel.TextFormatter = func() string { return "" }
	spkRow := container.NewBorder(nil, nil, widget.NewLabel("Speaker"), nil, p.spkLevel)
	levelRow := container.NewVBox(container.NewBorder(nil, nil, widget.NewLabel("Microphone"), nil, p.level), spkRow)
	if u.levels == nil {
		levelRow.Hide()
	} else if _, ok := u.levels.(SpeakerLevelSource); !ok {
		spkRow.Hide()
	}
	p.micGain = widget.NewSlider(10, 200)
	p.micGain.Step = 5
	p.micGain.SetValue(float64(pctOr100(u.st.MicGain)))
	p.micGain.OnChangeEnded = func(v float64) { u.setGains(&u.st.MicGain, v) }
	p.spkVolume = widget.NewSlider(10, 150)
	p.spkVolume.Step = 5
	p.spkVolume.SetValue(float64(pctOr100(u.st.SpeakerVolume)))
	p.spkVolume.OnChangeEnded = func(v float64) { u.setGains(&u.st.SpeakerVolume, v) }
	if _, ok := u.audio.(AudioGains); !ok {
		p.micGain.Disable()
		p.spkVolume.Disable()
	}
	note := restartNote
	if _, live := u.audio.(AudioSwitcher); live {
		note = "Microphone and speaker change at once, calls included; the ringer from the next start."
	}
	p.audioNote = widget.NewLabel(note + " The echo test plays your microphone back through the speaker.")
	p.audioNote.Wrapping = fyne.TextWrapWord
	p.audioNote.Importance = widget.LowImportance
	form := widget.NewForm(
		widget.NewFormItem("Microphone", p.input),
		widget.NewFormItem("Speaker", p.output),
		widget.NewFormItem("Ringer", p.ringer),
		widget.NewFormItem("Mic gain", p.micGain),
		widget.NewFormItem("Volume", p.spkVolume),
	)
	p.echoCancel = widget.NewCheck("Echo cancellation", func(on bool) { u.setProcessing(&u.st.EchoCancelOff, on) })
	p.echoCancel.SetChecked(!u.st.EchoCancelOff)
	p.denoise = widget.NewCheck("Noise suppression", func(on bool) { u.setProcessing(&u.st.NoiseSuppressionOff, on) })
	p.denoise.SetChecked(!u.st.NoiseSuppressionOff)
	return container.NewVBox(form, container.NewGridWithColumns(2, p.testSpeaker, p.testRing),
		container.NewGridWithColumns(2, p.echoCancel, p.denoise),
		widget.NewSeparator(), p.echo, levelRow, p.audioNote)
}

// pctOr100 is a stored percentage, 0 meaning unset (100).
func pctOr100(p int) int {
	if p <= 0 {
		return 100
	}
	return p
}

// setGains saves a gain slider (percent) and applies both at once when the
// sound system can.
func (u *UI) setGains(field *int, v float64) {
	pct := int(v + 0.5)
	if pctOr100(*field) == pct {
		return
	}
	*field = pct
	u.save(u.st.Clone())
	if ag, ok := u.audio.(AudioGains); ok {
		ag.SetGains(pctOr100(u.st.MicGain), pctOr100(u.st.SpeakerVolume))
	}
}

// setProcessing saves an echo-cancellation or noise-suppression switch
// (*off is the stored "off" flag) and applies both at once when the sound
// system can.
func (u *UI) setProcessing(off *bool, on bool) {
	if *off == !on {
		return
	}
	*off = !on
	u.save(u.st.Clone())
	if ap, ok := u.audio.(AudioProcessing); ok {
		ap.SetProcessing(!u.st.EchoCancelOff, !u.st.NoiseSuppressionOff)
	}
}

// loadDevices lists the sound devices off the Fyne goroutine and fills the
// pickers.
func (u *UI) loadDevices(p *prefsDialog) {
	if u.audio == nil {
		p.audioNote.SetText("Choosing devices is not available in this build; the system default devices are used. " + restartNote)
		for _, s := range []*widget.Select{p.input, p.output, p.ringer} {
			s.PlaceHolder = systemDefaultLabel
			s.Refresh()
		}
		close(p.devicesLoaded)
		return
	}
	ctx, cancel := context.WithTimeout(u.ctx, 10*time.Second)
	go func() {
		defer cancel()
		in, out, err := u.audio.Devices(ctx)
		u.post(func() {
			defer close(p.devicesLoaded)
			if err != nil {
				p.audioNote.SetText("Could not list the sound devices: " + ErrorText(err))
			}
			p.inputsList, p.outputList = in, out
			p.inputIDs = fillDevices(p.input, in, u.st.InputDevice)
			p.outputIDs = fillDevices(p.output, out, u.st.OutputDevice)
			fillDevices(p.ringer, out, u.st.RingerDevice)
		})
	}()
}

// fillDevices sets a picker's options to "System default" plus devs,
// selects the one with id (without calling OnChanged) and returns the
// label → ID map. A saved device that is not connected stays listed.
func fillDevices(s *widget.Select, devs []AudioDevice, id string) map[string]string {
	ids := map[string]string{systemDefaultLabel: ""}
	labels := []string{systemDefaultLabel}
	selected := systemDefaultLabel
	for _, d := range devs {
		label := d.Name
		if label == "" {
			label = d.ID
		}
		if d.Default {
			label += " (default)"
		}
		for n := 2; ; n++ {
			if _, dup := ids[label]; !dup {
				break
			}
			label = d.Name + " #" + strconv.Itoa(n)
		}
		ids[label] = d.ID
		labels = append(labels, label)
		if d.ID == id {
			selected = label
		}
	}
	if id != "" && selected == systemDefaultLabel {
		selected = "Saved device (not connected)"
		ids[selected] = id
		labels = append(labels, selected)
	}
	changed := s.OnChanged
	s.OnChanged = nil
	s.SetOptions(labels)
	s.SetSelected(selected)
	s.OnChanged = changed
	s.PlaceHolder = systemDefaultLabel
	s.Enable()
	return ids
}

// Device roles of the Audio pickers.
const (
	devMic = iota
	devSpeaker
	devRinger
)

// setDevice stores the device a picker chose in *field and saves; the
// microphone and speaker also switch at once when the AudioSystem can.
func (u *UI) setDevice(field *string, ids map[string]string, label string, role int) {
	id, ok := ids[label]
	if !ok || *field == id {
		return
	}
	*field = id
	u.save(u.st.Clone())
	sw, live := u.audio.(AudioSwitcher)
	if role == devRinger || !live {
		u.Notify("Sound device saved. " + restartNote)
		return
	}
	what := "Microphone"
	if role == devSpeaker {
		what = "Speaker"
	}
	if err := sw.SwitchDevice(role == devMic, id); err != nil {
		u.Notify(what + " saved; it applies the next time Switchboard starts (switching now failed: " + ErrorText(err) + ").")
		return
	}
	u.switching = what + ": now using " + strings.TrimSuffix(label, " (default)") + "."
	u.Notify(what + ": switching to " + strings.TrimSuffix(label, " (default)") + "…")
}

// testSpeaker plays the test tone on outputID, with b disabled meanwhile.
func (u *UI) testSpeaker(b *widget.Button, outputID string) {
	if u.audio == nil {
		return
	}
	if len(u.vm.Calls) > 0 {
		u.Notify("Test the speaker when no call is in progress.")
		return
	}
	b.Disable()
	u.Notify("Playing a test tone…")
	ctx, cancel := context.WithTimeout(u.ctx, 10*time.Second)
	go func() {
		defer cancel()
		err := u.audio.TestSpeaker(ctx, outputID)
		u.post(func() {
			b.Enable()
			if err != nil {
				u.Notify("Speaker test failed: " + ErrorText(err))
				return
			}
			u.Notify("Did you hear the tone? If not, choose another speaker.")
		})
	}()
}

// runLevelMeter polls the level source until ctx ends and shows it on the
// open Settings dialog's meter.
func (u *UI) runLevelMeter(ctx context.Context) {
	if u.levels == nil {
		return
	}
	go func() {
		t := time.NewTicker(levelEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				u.post(func() { u.showLevel(0); u.showSpeakerLevel(0) })
				return
			case <-t.C:
				v := min(max(u.levels.Level(), 0), 1)
				spk := 0.0
				if sl, ok := u.levels.(SpeakerLevelSource); ok {
					spk = min(max(sl.SpeakerLevel(), 0), 1)
				}
				u.post(func() { u.showLevel(v); u.showSpeakerLevel(spk) })
			}
		}
	}()
}

func (u *UI) showLevel(v float64) {
	if u.prefs != nil && u.prefs.level.Value != v {
		u.prefs.level.SetValue(v)
	}
}

func (u *UI) showSpeakerLevel(v float64) {
	if u.prefs != nil && u.prefs.spkLevel.Value != v {
		u.prefs.spkLevel.SetValue(v)
	}
}

// ---- codecs ----

func (u *UI) buildCodecPrefs(p *prefsDialog) fyne.CanvasObject {
	p.codecs = CodecOrder(u.st.Codecs, app.DefaultCodecs)
	p.codecBox = container.NewVBox()
	u.renderCodecs(p)
	reset := widget.NewButtonWithIcon("Default order", theme.ViewRefreshIcon(), func() {
		u.setCodecs(p, CodecOrder(app.DefaultCodecs, nil))
	})
	reset.Importance = widget.LowImportance
	hint := widget.NewLabel("Calls offer codecs in this order; the first one both sides support is used. " + restartNote)
	hint.Wrapping = fyne.TextWrapWord
	hint.Importance = widget.LowImportance
	return container.NewVBox(p.codecBox, container.NewHBox(reset), hint)
}

func (u *UI) renderCodecs(p *prefsDialog) {
	p.up, p.down = map[string]*widget.Button{}, map[string]*widget.Button{}
	objs := make([]fyne.CanvasObject, 0, len(p.codecs))
	for i, c := range p.codecs {
		up := widget.NewButtonWithIcon("", theme.MoveUpIcon(), func() { u.setCodecs(p, MoveCodec(p.codecs, i, -1)) })
		down := widget.NewButtonWithIcon("", theme.MoveDownIcon(), func() { u.setCodecs(p, MoveCodec(p.codecs, i, +1)) })
		if i == 0 {
			up.Disable()
		}
		if i == len(p.codecs)-1 {
			down.Disable()
		}
		p.up[c], p.down[c] = up, down
		label := widget.NewLabel(strconv.Itoa(i+1) + ". " + CodecLabel(c))
		objs = append(objs, container.NewBorder(nil, nil, nil, container.NewHBox(up, down), label))
	}
	p.codecBox.Objects = objs
	p.codecBox.Refresh()
}

func (u *UI) setCodecs(p *prefsDialog, codecs []string) {
	p.codecs = codecs
	u.st.Codecs = append([]string(nil), codecs...)
	u.save(u.st.Clone())
	u.renderCodecs(p)
}

// ---- network ----

func (u *UI) buildNetworkPrefs(p *prefsDialog) fyne.CanvasObject {
	p.sipPort = widget.NewEntry()
	p.sipPort.SetText(strconv.Itoa(u.st.ListenPort()))
	p.rtpMin = widget.NewEntry()
	p.rtpMin.SetPlaceHolder("automatic")
	p.rtpMax = widget.NewEntry()
	p.rtpMax.SetPlaceHolder("automatic")
	if u.st.RTPPortMin != 0 || u.st.RTPPortMax != 0 {
		p.rtpMin.SetText(strconv.Itoa(u.st.RTPPortMin))
		p.rtpMax.SetText(strconv.Itoa(u.st.RTPPortMax))
	}
	p.stun = widget.NewEntry()
	p.stun.SetPlaceHolder("none, e.g. stun.example.com:3478")
	p.stun.SetText(u.st.STUN)
	p.netErr = widget.NewLabel("")
	p.netErr.Importance = widget.DangerImportance
	p.netErr.Wrapping = fyne.TextWrapWord
	p.netErr.Hide()
	p.netSave = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), func() { u.saveNetwork(p) })
	p.netSave.Importance = widget.HighImportance
	note := widget.NewLabel(restartNote + " If the SIP port is taken, a free one is used instead. " +
		"Behind a NAT, a STUN server (host:port) lets account calls advertise your public address for audio.")
	note.Wrapping = fyne.TextWrapWord
	note.Importance = widget.WarningImportance
	form := widget.NewForm(
		widget.NewFormItem("SIP port", p.sipPort),
		widget.NewFormItem("RTP ports from", p.rtpMin),
		widget.NewFormItem("RTP ports to", p.rtpMax),
		widget.NewFormItem("STUN server", p.stun),
	)
	return container.NewVBox(form, p.netErr, note, container.NewHBox(p.netSave))
}

// portField reads an optional port entry ("" = 0).
func portField(e *widget.Entry, field string) (int, error) {
	t := strings.TrimSpace(e.Text)
	if t == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(t)
	if err != nil {
		return 0, &phone.FieldError{Field: field, Message: "write a port number, like 5060"}
	}
	return n, nil
}

func (u *UI) saveNetwork(p *prefsDialog) {
	fail := func(err error) {
		p.netErr.SetText(ErrorText(err))
		p.netErr.Show()
	}
	sipPort, err := portField(p.sipPort, "SIP port")
	if err != nil {
		fail(err)
		return
	}
	if strings.TrimSpace(p.sipPort.Text) == "" {
		sipPort = app.DefaultSIPPort
	}
	lo, err := portField(p.rtpMin, "RTP ports")
	if err != nil {
		fail(err)
		return
	}
	hi, err := portField(p.rtpMax, "RTP ports")
	if err != nil {
		fail(err)
		return
	}
	if err := app.ValidateNetwork(sipPort, lo, hi); err != nil {
		fail(err)
		return
	}
	stun := strings.TrimSpace(p.stun.Text)
	if stun != "" {
		stun = strings.TrimPrefix(strings.TrimPrefix(stun, "stun:"), "//")
		if !strings.Contains(stun, ":") {
			stun += ":3478"
		}
	}
	p.netErr.Hide()
	u.st.SetListenPort(sipPort)
	u.st.RTPPortMin, u.st.RTPPortMax = lo, hi
	u.st.STUN = stun
	u.save(u.st.Clone())
	p.stun.SetText(stun)
	u.Notify("Network settings saved. " + restartNote)
}
