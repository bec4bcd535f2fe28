package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"switchboard/phone"
)

// incomingOverlay is the modal shown while a call rings: caller id, and
// Answer (Enter) / Decline (Escape).
type incomingOverlay struct {
	popup   *widget.PopUp
	title   *widget.Label
	caller  *widget.Label
	address *widget.Label
	answer  *widget.Button
	decline *widget.Button
	id      phone.CallID
	shown   bool
}

func newIncomingOverlay(c fyne.Canvas, answer, decline func(phone.CallID)) *incomingOverlay {
	o := &incomingOverlay{}
	o.title = widget.NewLabelWithStyle("Incoming call", fyne.TextAlignCenter, fyne.TextStyle{})
	o.caller = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	o.caller.SizeName = theme.SizeNameSubHeadingText
	o.address = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	o.answer = widget.NewButtonWithIcon("Answer (Enter)", theme.ConfirmIcon(), func() { answer(o.id) })
	o.answer.Importance = widget.SuccessImportance
	o.decline = widget.NewButtonWithIcon("Decline (Esc)", theme.CancelIcon(), func() { decline(o.id) })
	o.decline.Importance = widget.DangerImportance
	content := container.NewVBox(
		container.NewCenter(widget.NewIcon(theme.NewPrimaryThemedResource(theme.AccountIcon()))),
		o.title, o.caller, o.address,
		container.NewGridWithColumns(2, o.decline, o.answer))
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
	o.caller.SetText(v.Title)
	o.address.SetText(v.Subtitle)
	if !o.shown {
		o.popup.Show()
		o.shown = true
	}
}
