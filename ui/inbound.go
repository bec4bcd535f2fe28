package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"switchboard/phone"
)

// This file handles a ringing call without answering it: send it to
// voicemail, forward it (a dialog with contact search), or, on RingCentral
// accounts, reply with a text the server reads to the caller. It also holds
// the card's "Server rec" toggle. The call's end (phone.CauseForwarded)
// says where it went (ForwardedText).

// QuickReplies are the replies the Reply dialog offers with one tap.
var QuickReplies = []string{"I'll call you back", "On another call", "In a meeting"}

// maxReplyLen bounds a free-text reply (the server reads it out).
const maxReplyLen = 200

// sendToVoicemail sends a ringing call to voicemail.
func (u *UI) sendToVoicemail(id phone.CallID) {
	if err := u.ctl.SendToVoicemail(id); err != nil {
		u.Notify("Could not send the call to voicemail: " + ErrorText(err))
		return
	}
	u.diverting(id, "Sending to voicemail…")
}

// diverting shows a ringing call as being handed on (text) until it ends
// or the phone reports the server refused (EvError).
func (u *UI) diverting(id phone.CallID, text string) {
	u.moves.Diverting[id] = text
	u.render(u.ctl.Snapshot())
}

// forwardDialog asks where to forward a ringing call.
type forwardDialog struct {
	dlg      *dialog.CustomDialog
	id       phone.CallID
	target   *widget.Entry
	sugg     *fyne.Container
	errLabel *widget.Label
	send     *widget.Button
}

// showForward opens the forward dialog for ringing call id.
func (u *UI) showForward(id phone.CallID) *forwardDialog {
	cv, ok := u.callView(id)
	if !ok {
		return nil
	}
	d := &forwardDialog{id: id}
	d.target = widget.NewEntry()
	d.target.SetPlaceHolder("Name, number or sip: address")
	d.sugg = container.NewVBox()
	d.target.OnChanged = func(string) {
		u.fillSuggestions(d.target, d.sugg)
		d.relayout()
	}
	d.target.OnSubmitted = func(string) { u.forward(d) }
	d.errLabel = newErrorLabel()
	d.send = widget.NewButtonWithIcon("Forward", theme.MailForwardIcon(), func() { u.forward(d) })
	d.send.Importance = widget.HighImportance
	content := container.NewVBox(d.target, d.sugg, d.errLabel)
	d.dlg = dialog.NewCustomWithoutButtons("Forward "+cv.Title, content, u.win)
	d.dlg.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", func() { d.dlg.Hide() }), d.send})
	d.dlg.Resize(fyne.NewSize(420, 0))
	d.dlg.Show()
	u.win.Canvas().Focus(d.target)
	u.lastForward = d
	return d
}

func (d *forwardDialog) relayout() {
	if d.dlg != nil {
		d.dlg.Resize(fyne.NewSize(420, 0))
	}
}

func (d *forwardDialog) fail(msg string) {
	d.errLabel.SetText(msg)
	d.errLabel.Show()
	d.relayout()
}

// forward is the forward dialog's Forward.
func (u *UI) forward(d *forwardDialog) {
	if strings.TrimSpace(d.target.Text) == "" {
		d.fail("Type a number or a SIP address first, or search a contact by name.")
		return
	}
	target, err := NormalizeTarget(d.target.Text)
	if err != nil {
		d.fail(ErrorText(err))
		return
	}
	if err := u.ctl.Forward(d.id, target); err != nil {
		d.fail("Could not forward: " + ErrorText(err))
		return
	}
	d.dlg.Hide()
	u.st.AddRecentDial(target)
	u.save(u.st.Clone())
	u.diverting(d.id, "Forwarding to "+trimScheme(target)+"…")
}

// replyDialog offers quick replies and a free text for a ringing call on a
// RingCentral account.
type replyDialog struct {
	dlg      *dialog.CustomDialog
	id       phone.CallID
	quick    []*widget.Button
	text     *widget.Entry
	send     *widget.Button
	errLabel *widget.Label
}

// showReply opens the reply dialog for ringing call id.
func (u *UI) showReply(id phone.CallID) *replyDialog {
	cv, ok := u.callView(id)
	if !ok {
		return nil
	}
	d := &replyDialog{id: id}
	help := widget.NewLabel("The caller hears your reply and the call ends.")
	help.Wrapping = fyne.TextWrapWord
	help.Importance = widget.LowImportance
	content := container.NewVBox(help)
	for _, r := range QuickReplies {
		b := widget.NewButtonWithIcon(r, theme.MailReplyIcon(), func() { u.reply(d, r) })
		b.Alignment = widget.ButtonAlignLeading
		d.quick = append(d.quick, b)
		content.Add(b)
	}
	d.text = widget.NewEntry()
	d.text.SetPlaceHolder("Or write a reply")
	d.text.OnSubmitted = func(string) { u.reply(d, d.text.Text) }
	d.send = widget.NewButtonWithIcon("Send", theme.MailSendIcon(), func() { u.reply(d, d.text.Text) })
	d.errLabel = newErrorLabel()
	content.Add(container.NewBorder(nil, nil, nil, d.send, d.text))
	content.Add(d.errLabel)
	d.dlg = dialog.NewCustomWithoutButtons("Reply to "+cv.Title, content, u.win)
	d.dlg.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", func() { d.dlg.Hide() })})
	d.dlg.Resize(fyne.NewSize(420, 0))
	d.dlg.Show()
	u.lastReply = d
	return d
}

// reply sends text (a quick reply or the typed one) to the caller.
func (u *UI) reply(d *replyDialog, text string) {
	text = strings.Join(strings.Fields(text), " ")
	fail := func(msg string) {
		d.errLabel.SetText(msg)
		d.errLabel.Show()
		d.dlg.Resize(fyne.NewSize(420, 0))
	}
	switch {
	case text == "":
		fail("Write a reply first, or pick one above.")
		return
	case len([]rune(text)) > maxReplyLen:
		fail("The reply is too long; keep it under 200 characters.")
		return
	}
	if err := u.ctl.ReplyText(d.id, text); err != nil {
		fail("Could not reply: " + ErrorText(err))
		return
	}
	d.dlg.Hide()
	u.diverting(d.id, "Replying…")
}

// toggleServerRecord asks the server to start or stop recording a call;
// the card says so until the phone reports the outcome (EvRecording).
func (u *UI) toggleServerRecord(id phone.CallID, recording bool) {
	if err := u.ctl.ServerRecord(id, !recording); err != nil {
		u.moves.ServerRec[id] = "server recording: " + ErrorText(err)
		u.Notify("Server recording: " + ErrorText(err))
		u.render(u.ctl.Snapshot())
		return
	}
	if recording {
		u.moves.ServerRec[id] = srecStopping
	} else {
		u.moves.ServerRec[id] = srecStarting
	}
	u.render(u.ctl.Snapshot())
}

// newErrorLabel is a hidden, wrapping, red label for a dialog's problems.
func newErrorLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}
