// Package ui is Switchboard's Fyne user interface: the main window (account
// status, dial field and dialpad, one card per call with transfer, flip,
// park and conference, the incoming-call overlay, echo test), the account
// settings dialog (with park code, my devices and auto-answer), the Settings dialog
// (audio devices, speaker test and level meter, codec order, network), the
// SIP trace viewer, and the system tray menu with Do not disturb.
//
// It talks to the phone only through the consumer-side Controller interface
// and renders phone.Snapshot values through a pure presenter (Present). It
// imports fyne.io/fyne/v2 (never fyne.io/fyne/v2/app), phone for its types,
// app for settings and secrets, and assets; never phone/sip, audio/device,
// malgo or go-keyring: sound devices, levels and the SIP trace come in
// through the consumer-side interfaces in desktop.go. Only bridge.go calls
// fyne.Do.
package ui

import (
	"context"
	"slices"
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

// UI is the main window's controller. Create it with New and start it with
// Start; all its methods run on the Fyne goroutine.
type UI struct {
	win     fyne.Window
	ctl     Controller
	st      *app.Settings
	secrets app.SecretStore
	save    func(app.Settings)

	// ctx is the UI's own lifetime (set by Start); background work the UI
	// starts (echo test, keyring) ends with it.
	ctx   context.Context
	posts chan func()
	now   func() time.Time
	// rendered is a test hook run after each bridge batch.
	rendered func()
	// stopped is closed when the bridge goroutine has returned.
	stopped chan struct{}

	vm   ViewModel
	from string // chosen DialFrom ID; "" direct IP
	// fromChosen is set once the agent picks an identity by hand.
	fromChosen bool

	banner     *widget.Label
	root       *fyne.Container
	top        *fyne.Container
	accountBox *fyne.Container
	directIP   *widget.Label
	fromSelect *widget.Select
	entry      *dialEntry
	callBtn    *widget.Button
	recentBtn  *widget.Button
	echoBtn    *widget.Button
	echoStop   context.CancelFunc
	dialpad    *fyne.Container
	callsBox   *fyne.Container
	cards      map[phone.CallID]*callCard
	notice     *widget.Label
	incoming   *incomingOverlay

	hist         *app.History
	saveHist     func(app.History)
	contacts     *app.Contacts
	saveContacts func(app.Contacts)

	main          *fyne.Container // accounts, tabs
	firstRun      *fyne.Container
	firstEcho     *widget.Button
	firstRunIP    *widget.Label
	tabs          *container.AppTabs
	phoneTab      *container.TabItem
	historyTab    *container.TabItem
	contactsTab   *container.TabItem
	historyBox    *fyne.Container
	historyEmpty  *widget.Label
	contactSearch *widget.Entry
	contactsBox   *fyne.Container
	contactsEmpty *widget.Label
	suggestBox    *fyne.Container

	historyList    *widget.List
	historyRowsSet func([]HistoryView)
	contactList    *widget.List
	contactRowsSet func([]app.Contact)
	// historyRows and contactRows map a list row's object to its widgets.
	historyRows map[fyne.CanvasObject]*historyRow
	contactRows map[fyne.CanvasObject]*contactRow
	// lastAccountForm is the account form opened last (for tests).
	lastAccountForm *accountForm

	// Settings dialog, SIP trace and desktop integration (desktop.go).
	audio   AudioSystem
	levels  LevelSource
	trace   TraceSource
	notify  func(title, body string)
	menuBtn *widget.Button
	dndLine *fyne.Container // "Do not disturb is on" with Turn off
	// switching is the notice for the next audio_device event after a
	// device switch the agent asked for.
	switching string
	prefs     *prefsDialog // the open Settings dialog, or nil
	traceView *traceViewer // the open SIP trace window, or nil
	// trayMenu is the system tray menu (installed by SetupTray; trayOn).
	trayMenu   *fyne.Menu
	trayStatus *fyne.MenuItem
	trayDND    *fyne.MenuItem
	trayOn     bool
	// dndDeclined are the incoming calls Do not disturb declined.
	dndDeclined map[phone.CallID]bool
	// stats are the latest media figures of each call (phone.EvStats), the
	// presenter's input for the quality indicator.
	stats map[phone.CallID]phone.CallStats

	// Moving calls (moves.go): progress and conference from events, the
	// conference bar, and the dialogs opened last (for tests).
	moves                CallMoves
	confBar              *fyne.Container
	confLabel            *widget.Label
	mergeBtn, endConfBtn *widget.Button
	lastTransfer         *transferDialog
	lastFlip             *flipChooser
	// lastForward and lastReply are the inbound dialogs opened last (for
	// tests; inbound.go).
	lastForward *forwardDialog
	lastReply   *replyDialog
}

// Option configures New.
type Option func(*UI)

// WithHistory gives the UI the call history to show and extend; save
// persists a copy after each change and must not block.
func WithHistory(h app.History, save func(app.History)) Option {
	return func(u *UI) {
		c := h.Clone()
		u.hist = &c
		if save != nil {
			u.saveHist = save
		}
	}
}

// WithContacts gives the UI the contact list to show and edit; save
// persists a copy after each change and must not block.
func WithContacts(cs app.Contacts, save func(app.Contacts)) Option {
	return func(u *UI) {
		c := cs.Clone()
		u.contacts = &c
		if save != nil {
			u.saveContacts = save
		}
	}
}

// New builds the main window's content into win and renders the phone's
// current state. st is the settings the UI edits (only on the Fyne
// goroutine); save persists a copy after each change and must not block.
// secrets is only used off the Fyne goroutine. WithHistory and
// WithContacts add the persisted call history and contacts.
func New(win fyne.Window, ctl Controller, st *app.Settings, secrets app.SecretStore, save func(app.Settings), opts ...Option) *UI {
	if st == nil {
		st = &app.Settings{}
	}
	if save == nil {
		save = func(app.Settings) {}
	}
	u := &UI{
		win: win, ctl: ctl, st: st, secrets: secrets, save: save,
		ctx: context.Background(), posts: make(chan func(), 16),
		now: time.Now, rendered: func() {}, stopped: make(chan struct{}), cards: map[phone.CallID]*callCard{},
		hist: &app.History{Version: app.HistoryVersion}, saveHist: func(app.History) {},
		contacts: &app.Contacts{Version: app.ContactsVersion}, saveContacts: func(app.Contacts) {},
		historyRows: map[fyne.CanvasObject]*historyRow{}, contactRows: map[fyne.CanvasObject]*contactRow{},
		dndDeclined: map[phone.CallID]bool{}, stats: map[phone.CallID]phone.CallStats{},
		moves: CallMoves{Progress: map[phone.CallID]phone.TransferInfo{}, ServerRec: map[phone.CallID]string{},
			Diverting: map[phone.CallID]string{}},
	}
	for _, o := range opts {
		o(u)
	}
	win.SetContent(u.build())
	u.buildTrayMenu()
	win.Canvas().SetOnTypedRune(u.typedRune)
	win.Canvas().SetOnTypedKey(u.typedKey)
	win.SetCloseIntercept(u.requestClose)
	u.render(ctl.Snapshot())
	win.Canvas().Focus(u.entry)
	return u
}

// SetBanner shows a lasting notice at the top of the window (for example
// that passwords are kept for this run only); "" hides it.
func (u *UI) SetBanner(text string) {
	u.banner.SetText(text)
	if text == "" {
		u.banner.Hide()
	} else {
		u.banner.Show()
	}
}

// requestClose is the window's close button: with a tray it may hide the
// window (see closeToTray), otherwise it quits, asking first over calls in
// progress.
func (u *UI) requestClose() {
	if u.trayOn && len(u.vm.Calls) == 0 {
		u.closeToTray()
		return
	}
	u.confirmQuit()
}

// confirmQuit closes the main window, which quits the app, asking first
// when calls are in progress.
func (u *UI) confirmQuit() {
	n := len(u.vm.Calls)
	if n == 0 {
		u.RememberWindowSize()
		u.win.Close()
		return
	}
	msg := "Hang up the call in progress and quit?"
	if n > 1 {
		msg = "Hang up " + strconv.Itoa(n) + " calls in progress and quit?"
	}
	dialog.ShowConfirm("Quit Switchboard", msg, func(ok bool) {
		if ok {
			u.RememberWindowSize()
			u.win.Close()
		}
	}, u.win)
}

// RememberWindowSize stores the window's current size in the settings, so
// the next start opens it at the same size. Call it on the Fyne goroutine
// before quitting.
func (u *UI) RememberWindowSize() {
	sz := u.win.Canvas().Size()
	ws := app.WindowSize{Width: sz.Width, Height: sz.Height}
	if !ws.Valid() || ws == u.st.Window {
		return
	}
	u.st.Window = ws
	u.save(u.st.Clone())
}

// Notify shows a transient message in the status line at the bottom.
func (u *UI) Notify(text string) { u.notice.SetText(text) }

func (u *UI) build() fyne.CanvasObject {
	u.banner = widget.NewLabel("")
	u.banner.Importance = widget.WarningImportance
	u.banner.Wrapping = fyne.TextWrapWord
	u.banner.Hide()

	title := widget.NewLabelWithStyle("Switchboard", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	u.echoBtn = widget.NewButtonWithIcon("Echo test", theme.MediaPlayIcon(), u.toggleEcho)
	accountsBtn := widget.NewButtonWithIcon("Accounts", theme.SettingsIcon(), u.showAccounts)
	u.menuBtn = widget.NewButtonWithIcon("", theme.MenuIcon(), u.showMenu)
	header := container.NewBorder(nil, nil, title, container.NewHBox(u.echoBtn, accountsBtn, u.menuBtn))

	u.accountBox = container.NewVBox()
	u.directIP = widget.NewLabel("")
	u.directIP.Hide()

	u.fromSelect = widget.NewSelect(nil, func(label string) {
		for _, o := range u.vm.DialFrom {
			if o.Label == label {
				if o.ID != u.from {
					u.fromChosen = true
				}
				u.from = o.ID
			}
		}
	})
	u.fromSelect.PlaceHolder = "Call from…"

	u.entry = newDialEntry()
	u.entry.SetPlaceHolder("Number or sip: address")
	u.entry.onEnter = u.enter
	u.entry.onEscape = u.escape
	u.callBtn = widget.NewButtonWithIcon("Call", theme.MailForwardIcon(), u.dial)
	u.callBtn.Importance = widget.SuccessImportance
	u.recentBtn = widget.NewButtonWithIcon("", theme.HistoryIcon(), u.showRecent)
	dialRow := container.NewBorder(nil, nil, u.recentBtn, u.callBtn, u.entry)

	u.dialpad = newDialpad(u.pressKey)
	u.suggestBox = container.NewVBox()
	u.suggestBox.Hide()
	u.entry.OnChanged = func(string) { u.renderSuggestions() }

	u.callsBox = container.NewVBox()
	u.buildConferenceBar()
	u.notice = widget.NewLabel("")
	u.notice.Wrapping = fyne.TextWrapWord

	u.incoming = newIncomingOverlay(u.win.Canvas(), incomingActions{
		answer: u.answer, decline: u.decline, voicemail: u.sendToVoicemail,
		forward: func(id phone.CallID) { u.showForward(id) }, reply: func(id phone.CallID) { u.showReply(id) },
	})

	phoneTop := container.NewVBox(u.fromSelect, dialRow, u.suggestBox, u.dialpad, widget.NewSeparator())
	u.phoneTab = container.NewTabItemWithIcon("Phone", theme.GridIcon(),
		container.NewBorder(phoneTop, nil, nil, nil, container.NewVScroll(u.callsBox)))
	u.historyTab = container.NewTabItemWithIcon(HistoryTabTitle(0), theme.HistoryIcon(), u.buildHistory())
	u.contactsTab = container.NewTabItemWithIcon("Contacts", theme.AccountIcon(), u.buildContacts())
	u.tabs = container.NewAppTabs(u.phoneTab, u.historyTab, u.contactsTab)
	u.tabs.OnSelected = func(ti *container.TabItem) {
		if ti == u.historyTab {
			u.historyViewed()
		}
	}

	dndText := widget.NewLabel("Do not disturb: incoming calls are declined.")
	dndText.Importance = widget.WarningImportance
	dndText.Truncation = fyne.TextTruncateEllipsis
	dndOff := widget.NewButton("Turn off", func() { u.SetDoNotDisturb(false) })
	dndOff.Importance = widget.LowImportance
	u.dndLine = container.NewBorder(nil, nil, nil, dndOff, dndText)
	u.dndLine.Hide()

	u.top = container.NewVBox(u.banner, header, u.dndLine, u.accountBox, u.directIP)
	u.main = container.NewStack(u.tabs)
	u.firstRun = u.buildFirstRun()
	u.root = container.NewBorder(u.top, u.notice, nil, nil, container.NewStack(u.main, u.firstRun))
	u.renderHistory()
	u.renderContacts()
	return u.root
}

// render shows a snapshot; it is idempotent.
func (u *UI) render(s phone.Snapshot) {
	u.pruneStats(s)
	u.pruneMoves(s)
	vm := PresentStats(s, u.st.Accounts, u.now(), u.stats)
	vm = PresentMoves(vm, s, u.st.Accounts, u.moves)
	u.vm = vm
	u.renderAccounts(vm)
	u.renderConference(vm)
	u.renderCalls(vm)
	u.renderFirstRun(vm)
	if vm.Incoming != nil && u.st.DoNotDisturb {
		u.declineDND(*vm.Incoming)
		vm.Incoming = nil
	}
	ringing := vm.Incoming != nil && !u.incoming.shown
	u.incoming.show(vm.Incoming)
	if ringing {
		if u.trayOn {
			u.win.Show() // it may be hidden in the tray
		}
		u.win.RequestFocus() // bring the window up for a new call
		if u.notify != nil {
			u.notify("Incoming call", IncomingNotice(*vm.Incoming))
		}
	}
	showIf(u.dndLine, u.st.DoNotDisturb)
	u.renderTray()
}

// declineDND declines a ringing call as busy (486) because Do not disturb
// is on, once per call.
func (u *UI) declineDND(c CallView) {
	if u.dndDeclined[c.ID] {
		return
	}
	u.dndDeclined[c.ID] = true
	if err := u.ctl.Decline(c.ID, true); err != nil {
		u.report(err)
		return
	}
	u.Notify("Declined a call from " + c.Title + " (Do not disturb).")
}

// showMenu opens the header's menu: Settings, SIP trace, Do not disturb.
func (u *UI) showMenu() {
	dnd := fyne.NewMenuItem(trayDND, func() { u.SetDoNotDisturb(!u.st.DoNotDisturb) })
	dnd.Checked = u.st.DoNotDisturb
	items := []*fyne.MenuItem{
		fyne.NewMenuItem("Settings…", func() { u.showSettings() }),
		fyne.NewMenuItem("SIP trace…", u.showTrace),
		dnd,
	}
	widget.ShowPopUpMenuAtRelativePosition(fyne.NewMenu("", items...), u.win.Canvas(),
		fyne.NewPos(0, u.menuBtn.Size().Height), u.menuBtn)
}

func (u *UI) renderAccounts(vm ViewModel) {
	objs := make([]fyne.CanvasObject, 0, len(vm.Accounts))
	for _, a := range vm.Accounts {
		objs = append(objs, u.accountLine(a))
	}
	u.accountBox.Objects = objs
	u.accountBox.Refresh()

	if vm.DirectIP != "" {
		u.directIP.SetText(vm.DirectIP)
		u.directIP.Show()
	} else {
		u.directIP.Hide()
	}

	labels := make([]string, 0, len(vm.DialFrom))
	valid := false
	for _, o := range vm.DialFrom {
		labels = append(labels, o.Label)
		if o.ID == u.from {
			valid = true
		}
	}
	if !u.fromChosen || !valid {
		u.from = vm.DefaultFrom
	}
	u.fromSelect.SetOptions(labels)
	for _, o := range vm.DialFrom {
		if o.ID == u.from && u.fromSelect.Selected != o.Label {
			u.fromSelect.SetSelected(o.Label)
		}
	}
	if len(vm.DialFrom) > 1 {
		u.fromSelect.Show()
	} else {
		u.fromSelect.Hide()
	}
	u.root.Refresh() // the account lines may have changed height
}

// accountLine is one account's status line, with Retry when its
// registration failed.
func (u *UI) accountLine(a AccountView) fyne.CanvasObject {
	icon := theme.RadioButtonIcon()
	color := theme.ColorNameForeground
	switch a.Tone {
	case ToneOK:
		icon, color = theme.NewSuccessThemedResource(theme.ConfirmIcon()), theme.ColorNameSuccess
	case TonePending:
		icon, color = theme.ViewRefreshIcon(), theme.ColorNameWarning
	case ToneError:
		icon, color = theme.NewErrorThemedResource(theme.ErrorIcon()), theme.ColorNameError
	}
	text := widget.NewRichText(
		&widget.TextSegment{Text: a.Label, Style: widget.RichTextStyle{Inline: true, TextStyle: fyne.TextStyle{Bold: true}}},
		&widget.TextSegment{Text: "  " + a.Status, Style: widget.RichTextStyle{Inline: true, ColorName: color}},
	)
	text.Wrapping = fyne.TextWrapWord
	var retry fyne.CanvasObject
	if a.CanRetry {
		id := a.ID
		retry = container.NewCenter(widget.NewButtonWithIcon("Retry", theme.ViewRefreshIcon(), func() { u.retryAccount(id) }))
	}
	return container.NewBorder(nil, nil, widget.NewIcon(icon), retry, text)
}

// retryAccount re-applies the configured account id (with its password
// from the secret store, read off the Fyne goroutine), so it registers again
// now instead of at the next scheduled retry.
func (u *UI) retryAccount(id string) {
	var acct phone.Account
	found := false
	for _, a := range u.st.Accounts {
		if a.ID == id || a.ID == "" && a.AOR == id {
			acct, found = a, true
			break
		}
	}
	if !found {
		u.Notify("That account no longer exists.")
		return
	}
	label := accountLabel(acct)
	u.Notify("Retrying " + label + "…")
	go func() {
		pw, err := u.secrets.Get(id)
		if err != nil {
			pw = ""
		}
		if err := u.ctl.SetAccount(acct, pw); err != nil {
			msg := label + ": " + ErrorText(err)
			u.post(func() { u.Notify(msg) })
		}
	}()
}

// pruneStats forgets the media figures of calls s no longer has.
func (u *UI) pruneStats(s phone.Snapshot) {
	for id := range u.stats {
		if !slices.ContainsFunc(s.Calls, func(c phone.CallInfo) bool { return c.ID == id && c.State != phone.StateEnded }) {
			delete(u.stats, id)
		}
	}
}

func (u *UI) renderCalls(vm ViewModel) {
	keep := map[phone.CallID]bool{}
	objs := make([]fyne.CanvasObject, 0, len(vm.Calls)+1)
	objs = append(objs, u.confBar)
	for _, cv := range vm.Calls {
		keep[cv.ID] = true
		c, ok := u.cards[cv.ID]
		if !ok {
			c = newCallCard(u, cv.ID)
			u.cards[cv.ID] = c
			if u.tabs.Selected() != u.phoneTab {
				u.tabs.Select(u.phoneTab) // a new call: show its card
			}
		}
		c.update(cv)
		objs = append(objs, c.card)
	}
	for id := range u.cards {
		if !keep[id] {
			delete(u.cards, id)
		}
	}
	u.callsBox.Objects = objs
	u.callsBox.Refresh()
}

// ---- actions (Fyne goroutine) ----

// enter is Enter anywhere: answer a ringing call, else dial.
func (u *UI) enter() {
	if u.vm.Incoming != nil {
		u.answer(u.vm.Incoming.ID)
		return
	}
	u.dial()
}

// escape is Escape anywhere: decline a ringing call, else hang up the
// active call, else clear the dial field.
func (u *UI) escape() {
	switch {
	case u.vm.Incoming != nil:
		u.decline(u.vm.Incoming.ID)
	case u.activeCall() != nil:
		u.hangup(u.activeCall().ID)
	case len(u.vm.Calls) == 1:
		u.hangup(u.vm.Calls[0].ID)
	default:
		u.entry.SetText("")
	}
}

func (u *UI) activeCall() *CallView {
	for i := range u.vm.Calls {
		if u.vm.Calls[i].ID == u.vm.ActiveID {
			return &u.vm.Calls[i]
		}
	}
	return nil
}

func (u *UI) dial() {
	if strings.TrimSpace(u.entry.Text) == "" {
		u.Notify("Type a number or a SIP address first.")
		return
	}
	target, err := NormalizeTarget(u.entry.Text)
	if err != nil {
		u.Notify(ErrorText(err))
		return
	}
	if _, err := u.ctl.Dial(u.from, target); err != nil {
		u.Notify("Could not call " + target + ": " + ErrorText(err))
		return
	}
	u.Notify("")
	u.st.AddRecentDial(target)
	u.save(u.st.Clone())
	u.entry.SetText("")
}

// redial calls target again from accountID when that identity still
// exists, else from the chosen one.
func (u *UI) redial(accountID, target string) {
	from := u.from
	for _, o := range u.vm.DialFrom {
		if o.ID == accountID {
			from = accountID
		}
	}
	u.placeCall(from, target)
}

// placeCall dials target from the identity from and shows the Phone tab.
func (u *UI) placeCall(from, target string) {
	if _, err := u.ctl.Dial(from, target); err != nil {
		u.Notify("Could not call " + target + ": " + ErrorText(err))
		return
	}
	u.Notify("")
	u.st.AddRecentDial(target)
	u.save(u.st.Clone())
	u.tabs.Select(u.phoneTab)
}

// pressKey is a dialpad key: DTMF into an active call, else a digit in the
// dial field.
func (u *UI) pressKey(key string) {
	if c := u.activeCall(); c != nil && c.CanDTMF {
		u.sendDTMF(c.ID, key)
		return
	}
	u.entry.SetText(u.entry.Text + key)
}

func (u *UI) typedRune(r rune) {
	if IsDialpadKey(r) || r == '+' && u.activeCall() == nil {
		u.pressKey(string(r))
	}
}

func (u *UI) typedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		u.enter()
	case fyne.KeyEscape:
		u.escape()
	case fyne.KeyBackspace:
		if t := []rune(u.entry.Text); len(t) > 0 {
			u.entry.SetText(string(t[:len(t)-1]))
		}
	}
}

func (u *UI) showRecent() {
	if len(u.st.RecentDials) == 0 {
		u.Notify("No recent calls yet.")
		return
	}
	items := make([]*fyne.MenuItem, 0, len(u.st.RecentDials))
	for _, t := range u.st.RecentDials {
		items = append(items, fyne.NewMenuItem(t, func() {
			u.entry.SetText(t)
			u.win.Canvas().Focus(u.entry)
		}))
	}
	widget.ShowPopUpMenuAtRelativePosition(fyne.NewMenu("Recent", items...), u.win.Canvas(),
		fyne.NewPos(0, u.recentBtn.Size().Height), u.recentBtn)
}

func (u *UI) answer(id phone.CallID) { u.report(u.ctl.Answer(id)) }

func (u *UI) decline(id phone.CallID) { u.report(u.ctl.Decline(id, false)) }

func (u *UI) hangup(id phone.CallID) { u.report(u.ctl.Hangup(id)) }

func (u *UI) toggleHold(id phone.CallID, held bool) {
	if held {
		u.report(u.ctl.Resume(id))
	} else {
		u.report(u.ctl.Hold(id))
	}
}

func (u *UI) toggleMute(id phone.CallID, muted bool) { u.report(u.ctl.Mute(id, !muted)) }

// toggleRecord starts or stops recording a call; the REC indicator follows
// the snapshot.
func (u *UI) toggleRecord(id phone.CallID, recording bool) { u.report(u.ctl.Record(id, !recording)) }

func (u *UI) sendDTMF(id phone.CallID, digits string) {
	if err := u.ctl.SendDTMF(id, digits, false); err != nil {
		u.report(err)
		return
	}
	if c, ok := u.cards[id]; ok {
		c.sent(digits)
	}
}

func (u *UI) report(err error) {
	if err != nil {
		u.Notify(ErrorText(err))
	}
}

// onEvent shows what an event says beyond the snapshot.
func (u *UI) onEvent(ev phone.Event) {
	if u.onMoveEvent(ev) {
		return
	}
	switch ev.Kind {
	case phone.EvEnded:
		if ev.Call != nil {
			u.Notify(EndedText(*ev.Call))
			u.recordEnded(*ev.Call)
		}
	case phone.EvError:
		if ev.Call != nil {
			delete(u.moves.Diverting, ev.Call.ID) // the server refused
		}
		if ev.Message != "" {
			u.Notify(capitalize(ev.Message))
		}
	case phone.EvIncoming:
		u.Notify("")
	case phone.EvStats:
		if ev.Call != nil && ev.Stats != nil {
			u.stats[ev.Call.ID] = *ev.Stats
		}
	case phone.EvRecording:
		switch {
		case ev.Call != nil && IsServerRecording(ev.Message):
			u.moves.ServerRec[ev.Call.ID] = ev.Message
			u.Notify(ServerRecordingNotice(*ev.Call, ev.Message))
		case ev.Call != nil:
			u.Notify(RecordingNotice(*ev.Call, ev.Path, ev.Message))
		}
	case evAudioDevice:
		switch {
		case u.switching != "" && (strings.HasPrefix(ev.Message, "capture device") || strings.HasPrefix(ev.Message, "playback device")):
			u.Notify(u.switching)
			u.switching = ""
		case ev.Message != "":
			u.Notify(capitalize(ev.Message))
		}
	}
}

// evAudioDevice is phone.EvAudioDevice (a sound device was switched or
// lost), spelled out so this package does not depend on its arrival.
const evAudioDevice phone.EventKind = "audio_device"

// toggleEcho starts or stops the echo test.
func (u *UI) toggleEcho() {
	if u.echoStop != nil {
		u.echoStop()
		return
	}
	ctx, cancel := context.WithCancel(u.ctx)
	u.echoStop = cancel
	u.setEchoButtons(true)
	u.Notify("Echo test: speak, and you should hear yourself.")
	u.runLevelMeter(ctx)
	go func() {
		err := u.ctl.EchoTest(ctx)
		stopped := ctx.Err() != nil
		cancel()
		u.post(func() {
			u.echoStop = nil
			u.setEchoButtons(false)
			switch {
			case err != nil && !stopped:
				u.Notify("Echo test failed: " + ErrorText(err))
			default:
				u.Notify("Echo test finished.")
			}
		})
	}()
}

// setEchoButtons shows the echo test buttons as running or not.
func (u *UI) setEchoButtons(running bool) {
	text, icon := "Echo test", theme.MediaPlayIcon()
	if running {
		text, icon = "Stop echo test", theme.MediaStopIcon()
	}
	buttons := []*widget.Button{u.echoBtn, u.firstEcho}
	if u.prefs != nil {
		buttons = append(buttons, u.prefs.echo)
	}
	for _, b := range buttons {
		b.SetText(text)
		b.SetIcon(icon)
	}
}

// registerSaved hands the saved accounts to the phone, with passwords from
// the secret store. It runs on its own goroutine.
func (u *UI) registerSaved(ctx context.Context, accts []phone.Account) {
	var missing []string
	for _, a := range accts {
		if ctx.Err() != nil {
			return
		}
		id := a.ID
		if id == "" {
			id = a.AOR
		}
		pw, err := u.secrets.Get(id)
		if err != nil {
			if a.Enabled && !a.NoRegister {
				missing = append(missing, accountLabel(a))
			}
			pw = ""
		}
		if err := u.ctl.SetAccount(a, pw); err != nil {
			msg := accountLabel(a) + ": " + ErrorText(err)
			u.post(func() { u.Notify(msg) })
		}
	}
	if len(missing) > 0 {
		msg := "No saved password for " + strings.Join(missing, ", ") + ". Open Accounts to enter it."
		u.post(func() { u.Notify(msg) })
	}
}
