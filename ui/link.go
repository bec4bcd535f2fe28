package ui

// OpenLink handles a click-to-call link given on the command line or handed
// over by a second launch (app/launch has turned it into a sip:, sips: or
// tel: target): it brings the window forward and calls target from the
// chosen identity. An empty target only brings the window forward. A link
// that cannot be called stays in the dial field with the reason shown, so
// the agent can fix it or press Call. Call it on the Fyne goroutine.
func (u *UI) OpenLink(target string) {
	u.win.Show()
	u.win.RequestFocus()
	if target == "" {
		return
	}
	u.render(u.ctl.Snapshot()) // the current identities, for u.from
	t, err := NormalizeTarget(target)
	if err != nil {
		u.entry.SetText(target)
		u.Notify(ErrorText(err))
		return
	}
	u.tabs.Select(u.phoneTab)
	if _, err := u.ctl.Dial(u.from, t); err != nil {
		u.entry.SetText(t)
		u.Notify("Could not call " + t + ": " + ErrorText(err))
		return
	}
	u.Notify("")
	u.st.AddRecentDial(t)
	u.save(u.st.Clone())
}
