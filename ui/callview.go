package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"switchboard/phone"
)

// callCard is one call's card. It lives as long as the call, so local
// state (keypad open, digits sent) survives re-renders.
type callCard struct {
	id     phone.CallID
	view   CallView
	card   *widget.Card
	state  *widget.Label
	timer  *widget.Label
	codec  *widget.Label
	sentL  *widget.Label
	digits string

	answer, decline, hangup, hold, mute, keypadBtn *widget.Button
	keypad                                         *fyne.Container
}

func newCallCard(u *UI, id phone.CallID) *callCard {
	c := &callCard{id: id}
	c.state = widget.NewLabel("")
	c.timer = widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Monospace: true})
	c.codec = widget.NewLabel("")
	c.codec.Importance = widget.LowImportance
	c.sentL = widget.NewLabel("")
	c.sentL.Hide()

	c.answer = widget.NewButtonWithIcon("Answer", theme.ConfirmIcon(), func() { u.answer(id) })
	c.answer.Importance = widget.SuccessImportance
	c.decline = widget.NewButtonWithIcon("Decline", theme.CancelIcon(), func() { u.decline(id) })
	c.decline.Importance = widget.DangerImportance
	c.hangup = widget.NewButtonWithIcon("Hang up", theme.CancelIcon(), func() { u.hangup(id) })
	c.hangup.Importance = widget.DangerImportance
	c.hold = widget.NewButtonWithIcon("Hold", theme.MediaPauseIcon(), func() { u.toggleHold(id, c.view.Held) })
	c.mute = widget.NewButtonWithIcon("Mute", theme.VolumeMuteIcon(), func() { u.toggleMute(id, c.view.Muted) })
	c.keypadBtn = widget.NewButtonWithIcon("Keypad", theme.GridIcon(), c.toggleKeypad)
	c.keypad = newDialpad(func(k string) { u.sendDTMF(id, k) })
	c.keypad.Hide()

	status := container.NewBorder(nil, nil, nil, c.timer, container.NewHBox(c.state, c.codec))
	// Ringing cards show Answer/Decline; the others Hang up/Hold/Mute/Keypad.
	buttons := container.NewGridWithColumns(4, c.answer, c.decline, c.hangup, c.hold, c.mute, c.keypadBtn)
	c.card = widget.NewCard("", "", container.NewVBox(status, buttons, c.sentL, c.keypad))
	return c
}

func (c *callCard) update(v CallView) {
	c.view = v
	title := v.Title
	if v.Active {
		title = "● " + title
	}
	c.card.SetTitle(title)
	c.card.SetSubTitle(v.Subtitle)
	c.state.SetText(v.State)
	c.timer.SetText(v.Timer)
	c.codec.SetText(v.Codec)
	c.hold.SetText(v.HoldLabel)
	if v.Held {
		c.hold.SetIcon(theme.MediaPlayIcon())
	} else {
		c.hold.SetIcon(theme.MediaPauseIcon())
	}
	c.mute.SetText(v.MuteLabel)
	showIf(c.answer, v.Incoming)
	showIf(c.decline, v.Incoming)
	showIf(c.hangup, !v.Incoming)
	showIf(c.hold, !v.Incoming)
	showIf(c.mute, !v.Incoming)
	showIf(c.keypadBtn, !v.Incoming)
	setEnabled(c.answer, v.CanAnswer)
	setEnabled(c.decline, v.CanDecline)
	setEnabled(c.hangup, v.CanHangup)
	setEnabled(c.hold, v.CanHold)
	setEnabled(c.mute, v.CanMute)
	setEnabled(c.keypadBtn, v.CanDTMF)
	for _, o := range c.keypad.Objects {
		setEnabled(o.(*widget.Button), v.CanDTMF)
	}
	if !v.CanDTMF && c.keypad.Visible() {
		c.keypad.Hide()
	}
}

func (c *callCard) toggleKeypad() {
	if c.keypad.Visible() {
		c.keypad.Hide()
	} else {
		c.keypad.Show()
	}
	c.card.Refresh()
}

// sent records digits sent on this call and shows the running string.
func (c *callCard) sent(d string) {
	c.digits += d
	if n := len(c.digits); n > 24 {
		c.digits = c.digits[n-24:]
	}
	c.sentL.SetText("Sent: " + strings.TrimSpace(c.digits))
	c.sentL.Show()
}

func showIf(o fyne.CanvasObject, on bool) {
	if on && !o.Visible() {
		o.Show()
	} else if !on && o.Visible() {
		o.Hide()
	}
}

func setEnabled(b *widget.Button, on bool) {
	if on && b.Disabled() {
		b.Enable()
	} else if !on && !b.Disabled() {
		b.Disable()
	}
}
