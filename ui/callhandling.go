package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"switchboard/phone"
)

// callHandlingForm is the account form's "Call handling" line: a summary
// and a button opening a dialog with the park code, my devices (for call
// flip), auto-answer all and the forwarding rules. It is kept apart from the rest of the account
// form, which only shows box and calls apply when saving.
type callHandlingForm struct {
	box        fyne.CanvasObject
	summary    *widget.Label
	open       *widget.Button
	dlg        *dialog.CustomDialog
	win        fyne.Window
	content    fyne.CanvasObject
	parkCode   *widget.Entry
	autoAnswer *widget.Check
	devices    []*deviceRow
	deviceList *fyne.Container
	addDevice  *widget.Button
	// Forwarding rules: where to send every call, calls while on another
	// call, and calls not answered within noAnswerAfter seconds.
	fwdAlways, fwdBusy, fwdNoAnswer, noAnswerAfter *widget.Entry
}

// deviceRow is one editable "my device": name and number or SIP address.
type deviceRow struct {
	row          fyne.CanvasObject
	name, target *widget.Entry
	remove       *widget.Button
}

// newCallHandlingForm builds the section with orig's values (nil: a new
// account); its dialog opens over win.
func newCallHandlingForm(orig *phone.Account, win fyne.Window) *callHandlingForm {
	f := &callHandlingForm{deviceList: container.NewVBox(), win: win}
	f.parkCode = widget.NewEntry()
	f.parkCode.SetPlaceHolder("e.g. *68 or 700 (optional)")
	f.autoAnswer = widget.NewCheck("Auto-answer all calls (after a beep)", nil)
	f.addDevice = widget.NewButtonWithIcon("Add device", theme.ContentAddIcon(), func() { f.add(phone.Device{}) })
	f.fwdAlways, f.fwdBusy, f.fwdNoAnswer = widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	for _, e := range []*widget.Entry{f.fwdAlways, f.fwdBusy, f.fwdNoAnswer} {
		e.SetPlaceHolder("Number or sip: address")
	}
	f.noAnswerAfter = widget.NewEntry()
	f.noAnswerAfter.SetPlaceHolder(fmt.Sprintf("%d", int(phone.DefaultNoAnswerAfter.Seconds())))
	if orig != nil {
		f.parkCode.SetText(orig.ParkCode)
		f.autoAnswer.SetChecked(orig.AutoAnswer)
		for _, d := range orig.MyDevices {
			f.add(d)
		}
		fw := orig.Forwarding
		f.fwdAlways.SetText(fw.Always)
		f.fwdBusy.SetText(fw.Busy)
		f.fwdNoAnswer.SetText(fw.NoAnswer)
		if fw.NoAnswerAfter > 0 {
			f.noAnswerAfter.SetText(fmt.Sprintf("%d", fw.NoAnswerAfter))
		}
	}
	devHelp := widget.NewLabel("My devices: your mobile or desk phone, to flip calls to.")
	devHelp.Wrapping = fyne.TextWrapWord
	devHelp.Importance = widget.LowImportance
	form := widget.NewForm(widget.NewFormItem("Park code", f.parkCode))
	fwdHelp := widget.NewLabel("Forward calls: the first rule that applies sends the call on; leave a rule empty to turn it off.")
	fwdHelp.Wrapping = fyne.TextWrapWord
	fwdHelp.Importance = widget.LowImportance
	fwdForm := widget.NewForm(
		widget.NewFormItem("Always", f.fwdAlways),
		widget.NewFormItem("When busy", f.fwdBusy),
		widget.NewFormItem("No answer", f.fwdNoAnswer),
		widget.NewFormItem("Ring for", container.NewBorder(nil, nil, nil, widget.NewLabel("seconds"), f.noAnswerAfter)))
	scroll := container.NewVScroll(container.NewVBox(form, devHelp, f.deviceList, f.addDevice, f.autoAnswer,
		widget.NewSeparator(), fwdHelp, fwdForm))
	scroll.SetMinSize(fyne.NewSize(340, 360))
	f.content = scroll
	f.summary = widget.NewLabel("")
	f.summary.Truncation = fyne.TextTruncateEllipsis
	f.open = widget.NewButtonWithIcon("Call handling…", theme.SettingsIcon(), f.show)
	f.box = container.NewBorder(nil, nil, nil, f.open, f.summary)
	f.summarize()
	return f
}

// show opens the call handling dialog; Done keeps the edits for the
// account form's Save.
func (f *callHandlingForm) show() {
	done := widget.NewButton("Done", func() {
		f.summarize()
		f.dlg.Hide()
	})
	done.Importance = widget.HighImportance
	f.dlg = dialog.NewCustomWithoutButtons("Call handling", f.content, f.win)
	f.dlg.SetButtons([]fyne.CanvasObject{done})
	f.dlg.Resize(fyne.NewSize(420, 0))
	f.dlg.Show()
}

// summarize shows the section's values on the account form's line.
func (f *callHandlingForm) summarize() {
	park := "no park code"
	if p := strings.TrimSpace(f.parkCode.Text); p != "" {
		park = "park " + p
	}
	n := 0
	for _, r := range f.devices {
		if strings.TrimSpace(r.name.Text) != "" || strings.TrimSpace(r.target.Text) != "" {
			n++
		}
	}
	devs := fmt.Sprintf("%d devices", n)
	if n == 1 {
		devs = "1 device"
	}
	text := park + " · " + devs
	if f.autoAnswer.Checked {
		text += " · auto-answer"
	}
	switch {
	case strings.TrimSpace(f.fwdAlways.Text) != "":
		text += " · forwarding all calls"
	case strings.TrimSpace(f.fwdBusy.Text) != "" || strings.TrimSpace(f.fwdNoAnswer.Text) != "":
		text += " · forwarding"
	}
	f.summary.SetText(text)
}

// add appends an editable device row.
func (f *callHandlingForm) add(d phone.Device) *deviceRow {
	r := &deviceRow{name: widget.NewEntry(), target: widget.NewEntry()}
	r.name.SetPlaceHolder("Name, e.g. Mobile")
	r.name.SetText(d.Name)
	r.target.SetPlaceHolder("Number or sip: address")
	r.target.SetText(d.Target)
	r.remove = widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { f.removeRow(r) })
	r.row = container.NewBorder(nil, nil, nil, r.remove, container.NewGridWithColumns(2, r.name, r.target))
	f.devices = append(f.devices, r)
	f.deviceList.Add(r.row)
	f.relayout()
	return r
}

func (f *callHandlingForm) removeRow(r *deviceRow) {
	f.devices = slices.DeleteFunc(f.devices, func(x *deviceRow) bool { return x == r })
	f.deviceList.Remove(r.row)
	f.relayout()
}

func (f *callHandlingForm) relayout() {
	if f.dlg != nil {
		f.dlg.Resize(fyne.NewSize(420, 0))
	}
}

// apply checks the section and writes it into a, or returns a
// *phone.FieldError. Empty device rows are dropped.
func (f *callHandlingForm) apply(a *phone.Account) error {
	park := strings.TrimSpace(f.parkCode.Text)
	if park != "" {
		p, err := NormalizeTarget(park)
		if err != nil {
			return &phone.FieldError{Field: "park code", Message: "write a number or feature code like *68, or a sip: address"}
		}
		park = p
	}
	var devs []phone.Device
	for i, r := range f.devices {
		name, target := strings.TrimSpace(r.name.Text), strings.TrimSpace(r.target.Text)
		if name == "" && target == "" {
			continue
		}
		field := fmt.Sprintf("my device %d", i+1)
		if name == "" {
			return &phone.FieldError{Field: field, Message: "give it a name, like Mobile"}
		}
		if strings.ContainsAny(name, "\r\n") {
			return &phone.FieldError{Field: field, Message: "the name may not contain line breaks"}
		}
		if target == "" {
			return &phone.FieldError{Field: field, Message: "give its number or SIP address"}
		}
		t, err := NormalizeTarget(target)
		if err != nil {
			return &phone.FieldError{Field: field, Message: "“" + target + "” is not a number or SIP address"}
		}
		if slices.ContainsFunc(devs, func(d phone.Device) bool { return strings.EqualFold(d.Name, name) }) {
			return &phone.FieldError{Field: field, Message: "another device is already called " + name}
		}
		devs = append(devs, phone.Device{Name: name, Target: t})
	}
	fwd, err := f.forwarding()
	if err != nil {
		return err
	}
	a.ParkCode, a.MyDevices, a.AutoAnswer, a.Forwarding = park, devs, f.autoAnswer.Checked, fwd
	return nil
}

// maxNoAnswerAfter bounds the no-answer forwarding delay (seconds).
const maxNoAnswerAfter = 300

// forwarding checks the forwarding rules, or returns a *phone.FieldError.
func (f *callHandlingForm) forwarding() (phone.Forwarding, error) {
	var fw phone.Forwarding
	for _, r := range []struct {
		field string
		entry *widget.Entry
		out   *string
	}{
		{"forward always", f.fwdAlways, &fw.Always},
		{"forward when busy", f.fwdBusy, &fw.Busy},
		{"forward on no answer", f.fwdNoAnswer, &fw.NoAnswer},
	} {
		target := strings.TrimSpace(r.entry.Text)
		if target == "" {
			continue
		}
		t, err := NormalizeTarget(target)
		if err != nil {
			return fw, &phone.FieldError{Field: r.field, Message: "“" + target + "” is not a number or SIP address"}
		}
		*r.out = t
	}
	if after := strings.TrimSpace(f.noAnswerAfter.Text); after != "" {
		n, err := strconv.Atoi(after)
		if err != nil || n < 1 || n > maxNoAnswerAfter {
			return fw, &phone.FieldError{Field: "forward on no answer", Message: fmt.Sprintf("ring for 1 to %d seconds", maxNoAnswerAfter)}
		}
		fw.NoAnswerAfter = n
	}
	if fw.NoAnswer == "" {
		fw.NoAnswerAfter = 0 // no rule, no delay to keep
	}
	return fw, nil
}
