package ui

import (
	"errors"
	"fmt"
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
	"switchboard/phone/ringcentral"
)

// Provider preset names as the settings dialog shows them.
const (
	presetGeneric     = "Generic SIP"
	presetSinch       = "Sinch"
	presetWebRTC      = "WebRTC gateway"
	presetRingCentral = "RingCentral"
)

var presets = []string{presetGeneric, presetSinch, presetWebRTC, presetRingCentral}

var transports = []string{string(phone.UDP), string(phone.TCP), string(phone.TLS), string(phone.WS), string(phone.WSS)}

// accountsDialog lists the accounts with Edit and Remove, plus Add.
type accountsDialog struct {
	dlg  *dialog.CustomDialog
	list *fyne.Container
	add  *widget.Button
}

func (u *UI) showAccounts() {
	d := &accountsDialog{list: container.NewVBox()}
	d.add = widget.NewButtonWithIcon("Add account", theme.ContentAddIcon(), func() {
		d.dlg.Hide()
		u.showAccountForm(nil)
	})
	d.add.Importance = widget.HighImportance
	u.fillAccountList(d)
	content := container.NewVBox(d.list, d.add)
	d.dlg = dialog.NewCustomWithoutButtons("Accounts", content, u.win)
	d.dlg.SetButtons([]fyne.CanvasObject{widget.NewButton("Close", func() { d.dlg.Hide() })})
	d.dlg.Resize(fyne.NewSize(420, 0))
	d.dlg.Show()
}

func (u *UI) fillAccountList(d *accountsDialog) {
	d.list.Objects = nil
	if len(u.st.Accounts) == 0 {
		l := widget.NewLabel("No accounts yet. Without one you can still take and place direct-IP calls.")
		l.Wrapping = fyne.TextWrapWord
		d.list.Add(l)
	}
	for _, a := range u.st.Accounts {
		id := a.ID
		edit := widget.NewButtonWithIcon("Edit", theme.DocumentCreateIcon(), func() {
			d.dlg.Hide()
			acct, ok := u.st.Account(id)
			if ok {
				u.showAccountForm(&acct)
			}
		})
		remove := widget.NewButtonWithIcon("Remove", theme.DeleteIcon(), func() {
			dialog.ShowConfirm("Remove account", "Remove "+accountLabel(a)+" and its saved password?", func(ok bool) {
				if ok {
					u.removeAccount(id)
					u.fillAccountList(d)
				}
			}, u.win)
		})
		label := widget.NewLabel(accountLabel(a))
		label.Truncation = fyne.TextTruncateEllipsis
		d.list.Add(container.NewBorder(nil, nil, nil, container.NewHBox(edit, remove), label))
	}
	d.list.Refresh()
}

// accountForm is the add/edit form.
type accountForm struct {
	dlg                                                     *dialog.CustomDialog
	provider, transport                                     *widget.Select
	name, aor, authUser, password, registrar, proxy, expiry *widget.Entry
	ice                                                     *widget.Entry
	enabled                                                 *widget.Check
	errLabel                                                *widget.Label
	save                                                    *widget.Button
	orig                                                    *phone.Account
	calls                                                   *callHandlingForm // callhandling.go
}

// showAccountForm opens the form for a new account (nil) or a copy of orig.
func (u *UI) showAccountForm(orig *phone.Account) *accountForm {
	f := &accountForm{orig: orig}
	f.name = widget.NewEntry()
	f.name.SetPlaceHolder("optional, e.g. Support line")
	f.aor = widget.NewEntry()
	f.authUser = widget.NewEntry()
	f.authUser.SetPlaceHolder("same as the user in the SIP address")
	f.password = widget.NewPasswordEntry()
	f.registrar = widget.NewEntry()
	f.registrar.SetPlaceHolder("from the SIP address")
	f.proxy = widget.NewEntry()
	f.proxy.SetPlaceHolder("none")
	f.expiry = widget.NewEntry()
	f.expiry.SetPlaceHolder(strconv.Itoa(int(phone.DefaultExpiry / time.Second)))
	f.transport = widget.NewSelect(transports, nil)
	f.enabled = widget.NewCheck("Register and use this account", nil)
	f.errLabel = widget.NewLabel("")
	f.errLabel.Importance = widget.DangerImportance
	f.errLabel.Wrapping = fyne.TextWrapWord
	f.errLabel.Hide()
	f.ice = widget.NewEntry()
	f.ice.SetPlaceHolder("WebRTC only, e.g. stun:stun.example.com:3478")
	f.provider = widget.NewSelect(presets, f.applyPreset)

	title := "Add account"
	if orig != nil {
		title = "Edit account"
		a := *orig
		f.name.SetText(a.DisplayName)
		f.aor.SetText(a.AOR)
		f.authUser.SetText(a.AuthUser)
		f.password.SetPlaceHolder("unchanged")
		f.registrar.SetText(a.Registrar)
		f.proxy.SetText(a.OutboundProxy)
		if a.Expiry != 0 {
			f.expiry.SetText(strconv.Itoa(int(a.Expiry / time.Second)))
		}
		f.transport.SetSelected(string(orDefault(a.Transport, phone.UDP)))
		f.ice.SetText(strings.Join(a.ICEServers, ", "))
		f.enabled.SetChecked(a.Enabled)
		switch {
		case a.Provider == phone.ProviderSinch:
			f.provider.SetSelected(presetSinch)
		case a.Provider == phone.ProviderRingCentral:
			f.provider.SetSelected(presetRingCentral)
		case phone.IsWebRTC(&a):
			f.provider.SetSelected(presetWebRTC)
		default:
			f.provider.SetSelected(presetGeneric)
		}
	} else {
		f.provider.SetSelected(presetGeneric)
		f.enabled.SetChecked(true)
	}

	form := widget.NewForm(
		widget.NewFormItem("Provider", f.provider),
		widget.NewFormItem("Display name", f.name),
		widget.NewFormItem("SIP address", f.aor),
		widget.NewFormItem("Auth user", f.authUser),
		widget.NewFormItem("Password", f.password),
		widget.NewFormItem("Registrar", f.registrar),
		widget.NewFormItem("Outbound proxy", f.proxy),
		widget.NewFormItem("Transport", f.transport),
		widget.NewFormItem("ICE servers", f.ice),
		widget.NewFormItem("Expiry (s)", f.expiry),
		widget.NewFormItem("", f.enabled),
	)
	f.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), func() { u.saveAccountForm(f) })
	f.save.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", func() { f.dlg.Hide() })
	f.calls = newCallHandlingForm(orig, u.win)
	importRC := widget.NewButton("Paste RingCentral sipInfo…", func() { u.showSipInfoImport(f) })
	f.dlg = dialog.NewCustomWithoutButtons(title, container.NewVBox(form, importRC, f.calls.box, f.errLabel), u.win)
	f.dlg.SetButtons([]fyne.CanvasObject{cancel, f.save})
	f.dlg.Resize(fyne.NewSize(460, 0))
	f.dlg.Show()
	u.lastAccountForm = f
	return f
}

func orDefault[T comparable](v, d T) T {
	var zero T
	if v == zero {
		return d
	}
	return v
}

// applyPreset adjusts hints (and, for a new account, defaults) to a provider.
func (f *accountForm) applyPreset(name string) {
	switch name {
	case presetSinch:
		f.aor.SetPlaceHolder("sip:+15550100199@yourtrunk.pstn.sinch.com")
		if f.orig == nil {
			f.transport.SetSelected(string(phone.UDP))
		}
	case presetWebRTC:
		f.aor.SetPlaceHolder("sip:alice@example.com")
		f.proxy.SetPlaceHolder("wss://gateway.example.com:8089/ws")
		if f.orig == nil {
			f.transport.SetSelected(string(phone.WSS))
		}
	case presetRingCentral:
		f.aor.SetPlaceHolder("sip:16505550100@sip.ringcentral.com (paste sipInfo below)")
		f.proxy.SetPlaceHolder("wss://sip10.ringcentral.com:8083")
		if f.orig == nil {
			f.transport.SetSelected(string(phone.WSS))
		}
	default:
		f.aor.SetPlaceHolder("sip:alice@example.com")
		f.proxy.SetPlaceHolder("none")
		if f.orig == nil && f.transport.Selected == "" {
			f.transport.SetSelected(string(phone.UDP))
		}
	}
}

// showSipInfoImport asks for RingCentral's sipInfo JSON and fills the form
// from it (the password goes to the keyring when the form is saved).
func (u *UI) showSipInfoImport(f *accountForm) {
	text := widget.NewMultiLineEntry()
	text.SetPlaceHolder(`{"sipInfo":[{"username":"…","password":"…","authorizationId":"…","domain":"sip.ringcentral.com","outboundProxy":"…:8083","transport":"WSS"}]}`)
	text.SetMinRowsVisible(8)
	text.Wrapping = fyne.TextWrapBreak
	d := dialog.NewCustomConfirm("RingCentral sipInfo", "Fill in", "Cancel", text, func(ok bool) {
		if !ok {
			return
		}
		if err := f.fillFromSipInfo(text.Text); err != nil {
			f.errLabel.SetText("sipInfo: " + ErrorText(err))
			f.errLabel.Show()
			return
		}
		f.errLabel.Hide()
	}, u.win)
	d.Resize(fyne.NewSize(520, 0))
	d.Show()
}

// fillFromSipInfo fills the form from pasted sipInfo JSON.
func (f *accountForm) fillFromSipInfo(text string) error {
	si, err := ringcentral.Parse([]byte(text))
	if err != nil {
		return err
	}
	a := si.Account()
	f.provider.SetSelected(presetRingCentral)
	f.name.SetText(a.DisplayName)
	f.aor.SetText(a.AOR)
	f.authUser.SetText(a.AuthUser)
	f.password.SetText(si.Password)
	f.registrar.SetText("")
	f.proxy.SetText(a.OutboundProxy)
	f.transport.SetSelected(string(a.Transport))
	f.ice.SetText(strings.Join(a.ICEServers, ", "))
	return nil
}

// account builds the account the form describes, or a *phone.FieldError.
func (f *accountForm) account() (phone.Account, error) {
	var a phone.Account
	if f.orig != nil {
		a = *f.orig
	}
	wasSinch := a.Provider == phone.ProviderSinch
	isSinch := f.provider.Selected == presetSinch
	if f.orig == nil || wasSinch != isSinch {
		p := phone.GenericPreset()
		if isSinch {
			p = phone.SinchPreset("trunk", "user")
		}
		a.Provider, a.DialPlan, a.SRTP = p.Provider, p.DialPlan, p.SRTP
		if f.orig == nil {
			a.Codecs = p.Codecs
		}
	}
	switch f.provider.Selected {
	case presetRingCentral:
		a.Provider = phone.ProviderRingCentral
	case presetWebRTC, presetGeneric:
		if a.Provider == phone.ProviderRingCentral {
			a.Provider = phone.ProviderGeneric
		}
	}
	a.ICEServers = nil
	for _, s := range strings.FieldsFunc(f.ice.Text, func(r rune) bool { return r == ',' || r == ' ' }) {
		a.ICEServers = append(a.ICEServers, s)
	}
	a.DisplayName = strings.TrimSpace(f.name.Text)
	a.AOR = strings.TrimSpace(f.aor.Text)
	if a.AOR != "" && !strings.Contains(strings.ToLower(a.AOR), ":") {
		a.AOR = "sip:" + a.AOR
	}
	a.AuthUser = strings.TrimSpace(f.authUser.Text)
	a.Registrar = strings.TrimSpace(f.registrar.Text)
	a.OutboundProxy = strings.TrimSpace(f.proxy.Text)
	a.Transport = phone.Transport(orDefault(f.transport.Selected, string(phone.UDP)))
	a.Enabled = f.enabled.Checked
	a.Expiry = 0
	if t := strings.TrimSpace(f.expiry.Text); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n <= 0 {
			return a, &phone.FieldError{Field: "register expiry", Message: "write a number of seconds, like 600"}
		}
		a.Expiry = time.Duration(n) * time.Second
	}
	if f.orig == nil {
		a.ID = a.AOR
	}
	if err := f.calls.apply(&a); err != nil {
		return a, err
	}
	return a, a.Validate()
}

func (u *UI) saveAccountForm(f *accountForm) {
	a, err := f.account()
	if err == nil && f.orig == nil {
		if _, dup := u.st.Account(a.ID); dup {
			err = &phone.FieldError{Field: "SIP address", Message: "an account with this address already exists; edit it instead"}
		}
	}
	if err != nil {
		f.errLabel.SetText(ErrorText(err))
		f.errLabel.Show()
		return
	}
	f.errLabel.Hide()
	u.st.PutAccount(a)
	u.save(u.st.Clone())
	f.dlg.Hide()
	u.render(u.ctl.Snapshot())
	pw, newPW := f.password.Text, f.password.Text != ""
	label := accountLabel(a)
	go func() {
		var problem string
		if newPW {
			if err := u.secrets.Set(a.ID, pw); err != nil {
				problem = "The password for " + label + " could not be saved (" + ErrorText(err) + "); it is used for this run only."
			}
		} else {
			stored, err := u.secrets.Get(a.ID)
			switch {
			case errors.Is(err, app.ErrNoSecret):
				if a.Enabled && !a.NoRegister {
					problem = "No password saved for " + label + "."
				}
			case err != nil:
				problem = fmt.Sprintf("Could not read the password for %s: %s", label, ErrorText(err))
			}
			pw = stored
		}
		if err := u.ctl.SetAccount(a, pw); err != nil {
			problem = label + ": " + ErrorText(err)
		}
		if problem == "" {
			problem = "Saved " + label + "."
		}
		u.post(func() { u.Notify(problem) })
	}()
}

func (u *UI) removeAccount(id string) {
	acct, ok := u.st.Account(id)
	if !ok {
		return
	}
	u.st.RemoveAccount(id)
	u.save(u.st.Clone())
	if u.from == id {
		u.fromChosen = false
	}
	u.render(u.ctl.Snapshot())
	label := accountLabel(acct)
	go func() {
		msg := "Removed " + label + "."
		if err := u.ctl.RemoveAccount(id); err != nil && !errors.Is(err, phone.ErrNoSuchAccount) {
			msg = label + ": " + ErrorText(err)
		}
		if err := u.secrets.Delete(id); err != nil {
			msg = "Removed " + label + ", but its saved password could not be deleted: " + ErrorText(err)
		}
		u.post(func() { u.Notify(msg) })
	}()
}
