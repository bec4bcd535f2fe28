package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"switchboard/phone"
)

// incomingActions are what the incoming overlay's buttons do.
type incomingActions struct {
	answer, decline, voicemail, forward, reply func(phone.CallID)
}

// incomingOverlay is the modal shown while a call rings: caller id, and
// Answer (Enter) / Decline (Escape), Voicemail, Forward… and, on
// RingCentral accounts, Reply…. The title says "Auto-answering…" while the
// phone answers the call by itself.
type incomingOverlay struct {
	popup     *widget.PopUp
	title     *widget.Label
	caller    *widget.Label
	address   *widget.Label
	answer    *widget.Button
	decline   *widget.Button
	voicemail *widget.Button
	forward   *widget.Button
	reply     *widget.Button
	id        phone.CallID
	shown     bool
}

func newIncomingOverlay(c fyne.Canvas, act incomingActions) *incomingOverlay {
	o := &incomingOverlay{}
	o.title = widget.NewLabelWithStyle("Incoming call", fyne.TextAlignCenter, fyne.TextStyle{})
	o.caller = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	o.caller.SizeName = theme.SizeNameSubHeadingText
	o.address = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	o.answer = widget.NewButtonWithIcon("Answer (Enter)", theme.ConfirmIcon(), func() { act.answer(o.id) })
	o.answer.Importance = widget.SuccessImportance
	o.decline = widget.NewButtonWithIcon("Decline (Esc)", theme.CancelIcon(), func() { act.decline(o.id) })
	o.decline.Importance = widget.DangerImportance
	o.voicemail = widget.NewButtonWithIcon("Voicemail", theme.MailComposeIcon(), func() { act.voicemail(o.id) })
	o.forward = widget.NewButtonWithIcon("Forward…", theme.MailForwardIcon(), func() { act.forward(o.id) })
	o.reply = widget.NewButtonWithIcon("Reply…", theme.MailReplyIcon(), func() { act.reply(o.id) })
	o.reply.Hide()
	content := container.NewVBox(
		container.NewCenter(widget.NewIcon(theme.NewPrimaryThemedResource(theme.AccountIcon()))),
		o.title, o.caller, o.address,
		container.NewGridWithColumns(2, o.decline, o.answer),
		container.NewCenter(container.NewHBox(o.voicemail, o.forward, o.reply)))
	o.popup = widget.NewModalPopUp(container.NewPadded(content), c)
	return o
}

// show displays v, or hides the overlay when v is nil.
func (o *incomingOverlay) show(v *CallView) {
	if v == nil {
		o.id = ""
		if o.shown {
			o.popup.Hide()
			o.shown = false
		}
		return
	}
	o.id = v.ID
	o.title.SetText(v.State)
	if v.AutoAnswer {
		o.title.Importance = widget.SuccessImportance
	} else {
		o.title.Importance = widget.MediumImportance
	}
	o.title.Refresh()
	o.caller.SetText(v.Title)
	o.address.SetText(v.Subtitle)
	setEnabled(o.voicemail, v.CanDivert)
	setEnabled(o.forward, v.CanDivert)
	showIf(o.reply, v.RingCentral)
	setEnabled(o.reply, v.CanReply)
	if !o.shown {
		o.popup.Show()
		o.shown = true
	}
}
