package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"switchboard/app"
	"switchboard/phone"
)

// maxSuggestions is how many completions the dial field offers.
const maxSuggestions = 5

// ---- first run ----

func (u *UI) buildFirstRun() *fyne.Container {
	title := widget.NewLabelWithStyle("Welcome to Switchboard", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameSubHeadingText
	intro := widget.NewLabel("Add your SIP account to make and take calls through your provider. " +
		"Without an account, Switchboard takes direct IP calls: other phones can call you at the address below.")
	intro.Wrapping = fyne.TextWrapWord
	u.firstRunIP = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	u.firstRunIP.Wrapping = fyne.TextWrapBreak
	add := widget.NewButtonWithIcon("Add account", theme.ContentAddIcon(), func() { u.showAccountForm(nil) })
	add.Importance = widget.HighImportance
	direct := widget.NewButtonWithIcon("Use direct IP calls", theme.ComputerIcon(), u.chooseDirectIP)
	u.firstEcho = widget.NewButtonWithIcon("Echo test", theme.MediaPlayIcon(), u.toggleEcho)
	hint := widget.NewLabel("The echo test plays your microphone back to you, to check your headset.")
	hint.Wrapping = fyne.TextWrapWord
	hint.Importance = widget.LowImportance
	c := container.NewVBox(title, intro, u.firstRunIP, add, direct, widget.NewSeparator(), u.firstEcho, hint)
	c.Hide()
	return c
}

// firstRunWanted reports whether the first-run screen replaces the tabs:
// no account, direct IP not chosen yet, and no call in progress.
func (u *UI) firstRunWanted(vm ViewModel) bool {
	return len(u.st.Accounts) == 0 && !u.st.DirectIPChosen && len(vm.Calls) == 0
}

func (u *UI) renderFirstRun(vm ViewModel) {
	if !u.firstRunWanted(vm) {
		showIf(u.firstRun, false)
		showIf(u.main, true)
		return
	}
	// With no account the presenter always fills DirectIP.
	u.firstRunIP.SetText(strings.TrimPrefix(vm.DirectIP, "Direct IP: "))
	u.directIP.Hide() // the first-run screen says it
	showIf(u.main, false)
	showIf(u.firstRun, true)
}

// chooseDirectIP leaves the first-run screen for good (until an account is
// added and removed again it stays away).
func (u *UI) chooseDirectIP() {
	u.st.DirectIPChosen = true
	u.save(u.st.Clone())
	u.render(u.ctl.Snapshot())
	u.tabs.Select(u.phoneTab)
	u.win.Canvas().Focus(u.entry)
}

// ---- history ----

type historyRow struct {
	title, detail *widget.Label
	icon          *widget.Icon
	redial        *widget.Button
	obj           fyne.CanvasObject
}

func (u *UI) buildHistory() fyne.CanvasObject {
	u.historyEmpty = widget.NewLabel("No calls yet.")
	rows := []HistoryView{}
	list := widget.NewList(
		func() int { return len(rows) },
		func() fyne.CanvasObject {
			r := &historyRow{
				title:  widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
				detail: widget.NewLabel(""),
				icon:   widget.NewIcon(theme.HistoryIcon()),
				redial: widget.NewButtonWithIcon("Redial", theme.MailReplyIcon(), nil),
			}
			r.title.Truncation = fyne.TextTruncateEllipsis
			r.detail.Truncation = fyne.TextTruncateEllipsis
			r.obj = container.NewBorder(nil, nil, r.icon, r.redial, container.NewVBox(r.title, r.detail))
			u.historyRows[r.obj] = r
			return r.obj
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			r := u.historyRows[o]
			if r == nil || id >= len(rows) {
				return
			}
			v := rows[id]
			r.title.SetText(v.Title)
			detail := v.Detail
			if v.Subtitle != "" && v.Subtitle != v.Title {
				detail += " · " + v.Subtitle
			}
			r.detail.SetText(detail)
			switch {
			case v.Missed:
				r.icon.SetResource(theme.NewErrorThemedResource(theme.MailReplyIcon()))
				r.title.Importance = widget.DangerImportance
			case v.Kind == "Outgoing" || v.Kind == "Not answered":
				r.icon.SetResource(theme.MailForwardIcon())
				r.title.Importance = widget.MediumImportance
			default:
				r.icon.SetResource(theme.MailReplyIcon())
				r.title.Importance = widget.MediumImportance
			}
			r.title.Refresh()
			r.redial.OnTapped = func() { u.redial(v.AccountID, v.Target) }
		},
	)
	u.historyList = list
	u.historyRowsSet = func(v []HistoryView) { rows = v }
	clear := widget.NewButtonWithIcon("Clear history", theme.DeleteIcon(), func() {
		dialog.ShowConfirm("Clear history", "Forget all calls in the history?", func(ok bool) {
			if ok {
				u.hist.Entries, u.hist.UnseenMissed = nil, 0
				u.saveHist(u.hist.Clone())
				u.renderHistory()
			}
		}, u.win)
	})
	clear.Importance = widget.LowImportance
	return container.NewBorder(nil, container.NewHBox(clear), nil, nil, container.NewStack(list, u.historyEmpty))
}

func (u *UI) renderHistory() {
	views := PresentHistory(u.hist.Entries, u.contacts.Contacts, u.now())
	u.historyRowsSet(views)
	showIf(u.historyEmpty, len(views) == 0)
	u.historyList.Refresh()
	u.historyTab.Text = HistoryTabTitle(u.hist.UnseenMissed)
	u.tabs.Refresh()
}

// recordEnded adds an ended call to the history. A missed call counts for
// the badge unless the History tab is in front.
func (u *UI) recordEnded(c phone.CallInfo) {
	missed := u.hist.UnseenMissed
	if !u.hist.Add(app.EntryFromCall(c)) {
		return
	}
	if c.Cause == phone.CauseForwarded && u.hist.UnseenMissed > missed {
		// Sent to voicemail or forwarded on purpose: not a missed call
		// (app.History counts every unanswered inbound call).
		u.hist.UnseenMissed = missed
	}
	if u.tabs.Selected() == u.historyTab {
		u.hist.MarkSeen()
	}
	u.saveHist(u.hist.Clone())
	u.renderHistory()
}

// historyViewed clears the missed-call badge.
func (u *UI) historyViewed() {
	if u.hist.MarkSeen() {
		u.saveHist(u.hist.Clone())
	}
	u.renderHistory()
}

// ---- contacts ----

type contactRow struct {
	name, line         *widget.Label
	call, edit, remove *widget.Button
	obj                fyne.CanvasObject
}

func (u *UI) buildContacts() fyne.CanvasObject {
	u.contactSearch = widget.NewEntry()
	u.contactSearch.SetPlaceHolder("Search contacts")
	u.contactSearch.OnChanged = func(string) { u.renderContacts() }
	add := widget.NewButtonWithIcon("Add", theme.ContentAddIcon(), func() { u.showContactForm(nil) })
	add.Importance = widget.HighImportance
	u.contactsEmpty = widget.NewLabel("")
	u.contactsEmpty.Wrapping = fyne.TextWrapWord
	rows := []app.Contact{}
	list := widget.NewList(
		func() int { return len(rows) },
		func() fyne.CanvasObject {
			r := &contactRow{
				name:   widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
				line:   widget.NewLabel(""),
				call:   widget.NewButtonWithIcon("", theme.MailForwardIcon(), nil),
				edit:   widget.NewButtonWithIcon("", theme.DocumentCreateIcon(), nil),
				remove: widget.NewButtonWithIcon("", theme.DeleteIcon(), nil),
			}
			r.name.Truncation = fyne.TextTruncateEllipsis
			r.line.Truncation = fyne.TextTruncateEllipsis
			r.call.Importance = widget.SuccessImportance
			r.obj = container.NewBorder(nil, nil, nil, container.NewHBox(r.call, r.edit, r.remove),
				container.NewVBox(r.name, r.line))
			u.contactRows[r.obj] = r
			return r.obj
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			r := u.contactRows[o]
			if r == nil || id >= len(rows) {
				return
			}
			c := rows[id]
			r.name.SetText(c.Name)
			r.line.SetText(ContactLine(c))
			r.call.OnTapped = func() { u.callContact(c, r.call) }
			r.edit.OnTapped = func() { u.showContactForm(&c) }
			r.remove.OnTapped = func() { u.confirmDeleteContact(c) }
		},
	)
	u.contactList = list
	u.contactRowsSet = func(c []app.Contact) { rows = c }
	top := container.NewBorder(nil, nil, nil, add, u.contactSearch)
	return container.NewBorder(top, nil, nil, nil, container.NewStack(list, u.contactsEmpty))
}

func (u *UI) renderContacts() {
	shown := FilterContacts(u.contacts.Contacts, u.contactSearch.Text)
	u.contactRowsSet(shown)
	switch {
	case len(u.contacts.Contacts) == 0:
		u.contactsEmpty.SetText("No contacts yet. Add the people and numbers you call often; the dial field completes from them.")
	case len(shown) == 0:
		u.contactsEmpty.SetText("No contact matches “" + strings.TrimSpace(u.contactSearch.Text) + "”.")
	default:
		u.contactsEmpty.SetText("")
	}
	showIf(u.contactsEmpty, len(shown) == 0)
	u.contactList.Refresh()
	u.renderHistory() // names in the history come from contacts
}

// callContact dials a contact's only target, or offers a menu of them.
func (u *UI) callContact(c app.Contact, anchor fyne.CanvasObject) {
	targets := c.Targets()
	if len(targets) == 1 {
		u.placeCall(u.from, targets[0])
		return
	}
	items := make([]*fyne.MenuItem, 0, len(targets))
	for _, t := range targets {
		items = append(items, fyne.NewMenuItem(t, func() { u.placeCall(u.from, t) }))
	}
	widget.ShowPopUpMenuAtRelativePosition(fyne.NewMenu(c.Name, items...), u.win.Canvas(),
		fyne.NewPos(0, anchor.Size().Height), anchor)
}

func (u *UI) confirmDeleteContact(c app.Contact) {
	dialog.ShowConfirm("Delete contact", "Delete "+c.Name+"?", func(ok bool) {
		if ok {
			u.deleteContact(c.ID)
		}
	}, u.win)
}

func (u *UI) deleteContact(id string) {
	if u.contacts.Delete(id) {
		u.saveContacts(u.contacts.Clone())
	}
	u.renderContacts()
}

// contactForm is the add/edit contact dialog.
type contactForm struct {
	dlg                *dialog.CustomDialog
	name, numbers, sip *widget.Entry
	errLabel           *widget.Label
	save               *widget.Button
	orig               *app.Contact
}

// showContactForm opens the form for a new contact (nil) or a copy of orig.
func (u *UI) showContactForm(orig *app.Contact) *contactForm {
	f := &contactForm{orig: orig}
	f.name = widget.NewEntry()
	f.numbers = widget.NewEntry()
	f.numbers.SetPlaceHolder("+1 555 010 0199, 1001")
	f.sip = widget.NewEntry()
	f.sip.SetPlaceHolder("sip:bob@example.com (optional)")
	f.errLabel = widget.NewLabel("")
	f.errLabel.Importance = widget.DangerImportance
	f.errLabel.Wrapping = fyne.TextWrapWord
	f.errLabel.Hide()
	title := "Add contact"
	if orig != nil {
		title = "Edit contact"
		f.name.SetText(orig.Name)
		f.numbers.SetText(strings.Join(orig.Numbers, ", "))
		f.sip.SetText(orig.SIPURI)
	}
	form := widget.NewForm(
		widget.NewFormItem("Name", f.name),
		widget.NewFormItem("Numbers", f.numbers),
		widget.NewFormItem("SIP address", f.sip),
	)
	f.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), func() { u.saveContactForm(f) })
	f.save.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", func() { f.dlg.Hide() })
	f.dlg = dialog.NewCustomWithoutButtons(title, container.NewVBox(form, f.errLabel), u.win)
	f.dlg.SetButtons([]fyne.CanvasObject{cancel, f.save})
	f.dlg.Resize(fyne.NewSize(420, 0))
	f.dlg.Show()
	return f
}

// contact builds the contact the form describes, or an error sentence.
func (f *contactForm) contact() (app.Contact, error) {
	var c app.Contact
	if f.orig != nil {
		c = *f.orig
	}
	c.Name = strings.TrimSpace(f.name.Text)
	c.Numbers = nil
	for _, n := range strings.FieldsFunc(f.numbers.Text, func(r rune) bool { return r == ',' || r == ';' || r == '\n' }) {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		norm, ok := cleanNumber(n)
		if !ok {
			return c, &phone.FieldError{Field: "numbers", Message: "“" + n + "” is not a phone number; put SIP addresses in the SIP address field"}
		}
		c.Numbers = append(c.Numbers, norm)
	}
	c.SIPURI = ""
	if s := strings.TrimSpace(f.sip.Text); s != "" {
		t, err := NormalizeTarget(s)
		if err != nil || !strings.HasPrefix(t, "sip") {
			return c, &phone.FieldError{Field: "SIP address", Message: "write an address like sip:bob@example.com"}
		}
		c.SIPURI = t
	}
	if c.Name == "" {
		return c, &phone.FieldError{Field: "name", Message: "required"}
	}
	if err := c.Validate(); err != nil {
		return c, &phone.FieldError{Field: "numbers", Message: "give at least one number or a SIP address"}
	}
	return c, nil
}

func (u *UI) saveContactForm(f *contactForm) {
	c, err := f.contact()
	if err != nil {
		f.errLabel.SetText(ErrorText(err))
		f.errLabel.Show()
		return
	}
	f.errLabel.Hide()
	u.contacts.Put(c)
	u.saveContacts(u.contacts.Clone())
	f.dlg.Hide()
	u.renderContacts()
}

// ---- dial field completion ----

func (u *UI) renderSuggestions() {
	sugg := Suggest(u.entry.Text, u.contacts.Contacts, u.st.RecentDials, u.hist.Entries, maxSuggestions)
	objs := make([]fyne.CanvasObject, 0, len(sugg))
	for _, s := range sugg {
		b := widget.NewButtonWithIcon(s.Label, theme.AccountIcon(), func() {
			u.entry.SetText(s.Target)
			u.win.Canvas().Focus(u.entry)
		})
		b.Alignment = widget.ButtonAlignLeading
		b.Importance = widget.LowImportance
		objs = append(objs, b)
	}
	u.suggestBox.Objects = objs
	showIf(u.suggestBox, len(objs) > 0)
	u.suggestBox.Refresh()
}

// suggestions returns the completions shown under the dial field.
func (u *UI) suggestions() []string {
	var out []string
	for _, o := range u.suggestBox.Objects {
		out = append(out, o.(*widget.Button).Text)
	}
	return out
}
