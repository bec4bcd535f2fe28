package ui

import (
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"switchboard/phone"
)

// This file holds the widgets for moving calls: the transfer dialog (blind,
// attended, or to another of our calls), the flip chooser, park, and the
// conference bar with Merge and End conference. Progress comes in as
// phone.EvTransfer, EvFlip, EvPark and EvConference events (onMoveEvent);
// the presenter (PresentMoves) turns it into words on the cards.

// buildConferenceBar makes the bar above the call cards: who is in the
// conference, Merge, and End conference.
func (u *UI) buildConferenceBar() *fyne.Container {
	u.confLabel = widget.NewLabel("")
	u.confLabel.Wrapping = fyne.TextWrapWord
	u.mergeBtn = widget.NewButtonWithIcon("Merge calls", theme.ContentAddIcon(), u.merge)
	u.endConfBtn = widget.NewButtonWithIcon("End conference", theme.ContentRemoveIcon(), func() { u.split("") })
	u.confBar = container.NewBorder(nil, nil, nil, container.NewHBox(u.mergeBtn, u.endConfBtn), u.confLabel)
	u.confBar.Hide()
	return u.confBar
}

// renderConference shows the conference bar when calls can be merged or
// are in a conference.
func (u *UI) renderConference(vm ViewModel) {
	inConf := len(vm.Conference) > 0
	u.confLabel.SetText(ConferenceText(vm))
	if inConf {
		u.mergeBtn.SetText("Add calls")
	} else {
		u.mergeBtn.SetText("Merge calls")
	}
	showIf(u.mergeBtn, vm.CanMerge)
	showIf(u.endConfBtn, inConf)
	showIf(u.confLabel, inConf || vm.CanMerge)
	showIf(u.confBar, inConf || vm.CanMerge)
}

// onMoveEvent records what transfer, flip, park and conference events say
// and notices the end of a move; it reports whether ev was one of them.
func (u *UI) onMoveEvent(ev phone.Event) bool {
	switch ev.Kind {
	case phone.EvTransfer, phone.EvFlip, phone.EvPark:
		if ev.Call == nil || ev.Transfer == nil {
			return true
		}
		u.moves.Progress[ev.Call.ID] = *ev.Transfer
		if n := TransferNotice(*ev.Call, *ev.Transfer, u.devicesOf(ev.Call.AccountID)); n != "" {
			u.Notify(n)
		}
		return true
	case phone.EvConference:
		u.moves.Conference = slices.Clone(ev.Conference)
		if len(ev.Conference) == 0 {
			u.Notify("The conference has ended.")
		}
		return true
	case phone.EvEnded:
		// A moved call ends: say where it went rather than just "ended".
		if ev.Call != nil && ev.Call.Cause == phone.CauseTransferred {
			if ti, ok := u.moves.Progress[ev.Call.ID]; ok && ti.State == phone.XferDone {
				u.recordEnded(*ev.Call)
				u.Notify(TransferNotice(*ev.Call, ti, u.devicesOf(ev.Call.AccountID)))
				return true
			}
		}
	}
	return false
}

// pruneMoves forgets the progress of calls s no longer has.
func (u *UI) pruneMoves(s phone.Snapshot) {
	for id := range u.moves.Progress {
		if !slices.ContainsFunc(s.Calls, func(c phone.CallInfo) bool { return c.ID == id && c.State != phone.StateEnded }) {
			delete(u.moves.Progress, id)
		}
	}
	for _, m := range []map[phone.CallID]string{u.moves.ServerRec, u.moves.Diverting} {
		for id := range m {
			if !slices.ContainsFunc(s.Calls, func(c phone.CallInfo) bool { return c.ID == id && c.State != phone.StateEnded }) {
				delete(m, id)
			}
		}
	}
}

// devicesOf returns the configured account's own devices.
func (u *UI) devicesOf(accountID string) []phone.Device {
	if a, ok := u.st.Account(accountID); ok {
		return a.MyDevices
	}
	return nil
}

func (u *UI) merge() { u.report(u.ctl.Merge()) }

func (u *UI) split(id phone.CallID) { u.report(u.ctl.Split(id)) }

func (u *UI) park(id phone.CallID) { u.report(u.ctl.Park(id)) }

func (u *UI) completeTransfer(id phone.CallID) { u.report(u.ctl.CompleteTransfer(id)) }

func (u *UI) cancelTransfer(id phone.CallID) { u.report(u.ctl.CancelTransfer(id)) }

// transferDialog asks where to transfer a call.
type transferDialog struct {
	dlg      *dialog.CustomDialog
	id       phone.CallID
	target   *widget.Entry
	sugg     *fyne.Container
	errLabel *widget.Label
	// now transfers at once (blind), consult calls the target first
	// (attended); between connects the call to another of our calls.
	now, consult *widget.Button
	between      []*widget.Button
}

// showTransfer opens the transfer dialog for call id.
func (u *UI) showTransfer(id phone.CallID) *transferDialog {
	cv, ok := u.callView(id)
	if !ok {
		return nil
	}
	d := &transferDialog{id: id}
	d.target = widget.NewEntry()
	d.target.SetPlaceHolder("Name, number or sip: address")
	d.sugg = container.NewVBox()
	d.target.OnChanged = func(string) { u.transferSuggestions(d) }
	d.target.OnSubmitted = func(string) { u.transferNow(d) }
	d.errLabel = widget.NewLabel("")
	d.errLabel.Importance = widget.DangerImportance
	d.errLabel.Wrapping = fyne.TextWrapWord
	d.errLabel.Hide()
	d.now = widget.NewButtonWithIcon("Transfer now", theme.MailForwardIcon(), func() { u.transferNow(d) })
	d.now.Importance = widget.HighImportance
	d.consult = widget.NewButtonWithIcon("Consult first", theme.AccountIcon(), func() { u.consultFirst(d) })
	help := widget.NewLabel("Transfer now hands the caller over at once. Consult first puts the caller on hold and calls the target, so you can talk before completing the transfer.")
	help.Wrapping = fyne.TextWrapWord
	help.Importance = widget.LowImportance
	content := container.NewVBox(d.target, d.sugg, d.errLabel, container.NewGridWithColumns(2, d.consult, d.now), help)
	if len(cv.TransferTo) > 0 {
		content.Add(widget.NewSeparator())
		content.Add(widget.NewLabel("Or connect " + cv.Title + " with your other call:"))
		for _, o := range cv.TransferTo {
			other := phone.CallID(o.ID)
			b := widget.NewButtonWithIcon("Connect with "+o.Label, theme.MailForwardIcon(), func() { u.transferBetween(d, other) })
			d.between = append(d.between, b)
			content.Add(b)
		}
	}
	d.dlg = dialog.NewCustomWithoutButtons("Transfer "+cv.Title, content, u.win)
	d.dlg.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", func() { d.dlg.Hide() })})
	d.dlg.Resize(fyne.NewSize(420, 0))
	d.dlg.Show()
	u.win.Canvas().Focus(d.target)
	u.lastTransfer = d
	return d
}

// callView returns the card view of call id.
func (u *UI) callView(id phone.CallID) (CallView, bool) { return findCall(u.vm.Calls, id) }

// transferSuggestions completes the target from contacts, recent dials and
// history, like the dial field.
func (u *UI) transferSuggestions(d *transferDialog) {
	u.fillSuggestions(d.target, d.sugg)
	d.relayout()
}

// fillSuggestions fills box with buttons completing target from contacts,
// recent dials and history; a tap puts the suggestion into target.
func (u *UI) fillSuggestions(target *widget.Entry, box *fyne.Container) {
	sugg := Suggest(target.Text, u.contacts.Contacts, u.st.RecentDials, u.hist.Entries, maxSuggestions)
	objs := make([]fyne.CanvasObject, 0, len(sugg))
	for _, s := range sugg {
		b := widget.NewButtonWithIcon(s.Label, theme.AccountIcon(), func() {
			target.SetText(s.Target)
			u.win.Canvas().Focus(target)
		})
		b.Alignment = widget.ButtonAlignLeading
		b.Importance = widget.LowImportance
		objs = append(objs, b)
	}
	box.Objects = objs
	box.Refresh()
}

// relayout fits the dialog to its content after suggestions or an error
// appeared.
func (d *transferDialog) relayout() {
	if d.dlg != nil {
		d.dlg.Resize(fyne.NewSize(420, 0))
	}
}

// transferTarget checks the dialog's target; it shows the problem and
// returns false when there is one.
func (d *transferDialog) transferTarget() (string, bool) {
	if strings.TrimSpace(d.target.Text) == "" {
		d.fail("Type a number or a SIP address first, or search a contact by name.")
		return "", false
	}
	t, err := NormalizeTarget(d.target.Text)
	if err != nil {
		d.fail(ErrorText(err))
		return "", false
	}
	return t, true
}

func (d *transferDialog) fail(msg string) {
	d.errLabel.SetText(msg)
	d.errLabel.Show()
	d.relayout()
}

// transferNow is "Transfer now": a blind transfer.
func (u *UI) transferNow(d *transferDialog) {
	target, ok := d.transferTarget()
	if !ok {
		return
	}
	if err := u.ctl.Transfer(d.id, target); err != nil {
		d.fail("Could not transfer: " + ErrorText(err))
		return
	}
	d.dlg.Hide()
	u.st.AddRecentDial(target)
	u.save(u.st.Clone())
}

// consultFirst is "Consult first": hold the caller and call the target.
func (u *UI) consultFirst(d *transferDialog) {
	target, ok := d.transferTarget()
	if !ok {
		return
	}
	kid, err := u.ctl.Consult(d.id, target)
	if err != nil {
		d.fail("Could not call " + target + ": " + ErrorText(err))
		return
	}
	d.dlg.Hide()
	// Show the pairing at once; the phone's EvTransfer confirms it.
	u.moves.Progress[d.id] = phone.TransferInfo{Kind: phone.XferAttended, State: phone.XferConsulting, Target: target, Consult: kid}
	u.st.AddRecentDial(target)
	u.save(u.st.Clone())
	u.render(u.ctl.Snapshot())
}

// transferBetween connects the dialog's call with another of our calls.
func (u *UI) transferBetween(d *transferDialog, other phone.CallID) {
	if err := u.ctl.TransferBetween(d.id, other); err != nil {
		d.fail("Could not connect the calls: " + ErrorText(err))
		return
	}
	d.dlg.Hide()
}

// flipChooser lists the account's own devices to flip a call to.
type flipChooser struct {
	dlg     *dialog.CustomDialog
	devices []*widget.Button
}

// showFlip opens the flip chooser for call id.
func (u *UI) showFlip(id phone.CallID) *flipChooser {
	cv, ok := u.callView(id)
	if !ok {
		return nil
	}
	f := &flipChooser{}
	content := container.NewVBox(widget.NewLabel("Move the call with " + cv.Title + " to:"))
	for _, dev := range cv.Devices {
		label := dev.Name + " (" + dev.Target + ")"
		if dev.Name == "" {
			label = dev.Target
		}
		b := widget.NewButtonWithIcon(label, theme.ComputerIcon(), func() {
			f.dlg.Hide()
			u.report(u.ctl.Flip(id, dev.Target))
		})
		b.Alignment = widget.ButtonAlignLeading
		f.devices = append(f.devices, b)
		content.Add(b)
	}
	f.dlg = dialog.NewCustomWithoutButtons("Flip call", content, u.win)
	f.dlg.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", func() { f.dlg.Hide() })})
	f.dlg.Resize(fyne.NewSize(360, 0))
	f.dlg.Show()
	u.lastFlip = f
	return f
}
