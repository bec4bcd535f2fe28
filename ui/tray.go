package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
)

// Tray menu labels.
const (
	trayShow = "Show Switchboard"
	trayDND  = "Do not disturb"
	trayQuit = "Quit"
)

// buildTrayMenu creates the system tray menu: a status line, Show window,
// Do not disturb, Settings, SIP trace and Quit. It exists even where no
// tray does (the tests read it); SetupTray installs it.
func (u *UI) buildTrayMenu() {
	u.trayStatus = fyne.NewMenuItem("", nil)
	u.trayStatus.Disabled = true
	show := fyne.NewMenuItem(trayShow, u.showWindow)
	u.trayDND = fyne.NewMenuItem(trayDND, func() { u.SetDoNotDisturb(!u.st.DoNotDisturb) })
	settings := fyne.NewMenuItem("Settings…", func() {
		u.showWindow()
		u.showSettings()
	})
	trace := fyne.NewMenuItem("SIP trace…", u.showTrace)
	quit := fyne.NewMenuItem(trayQuit, u.quit)
	quit.IsQuit = true // fyne adds no Quit of its own
	u.trayMenu = fyne.NewMenu("Switchboard", u.trayStatus, fyne.NewMenuItemSeparator(), show, u.trayDND,
		settings, trace, fyne.NewMenuItemSeparator(), quit)
	u.renderTray()
}

// SetupTray installs the tray menu when a is a desktop app with a system
// tray and reports whether it did. From then on, closing the window hides
// it into the tray if the agent agrees (asked once, stored in
// app.Settings.CloseToTray). Call it on the Fyne goroutine before
// ShowAndRun, and only where the tray cannot start daemons (on Linux the
// tray talks to D-Bus: check for a session bus first).
func (u *UI) SetupTray(a fyne.App) bool {
	desk, ok := a.(desktop.App)
	if !ok {
		return false
	}
	desk.SetSystemTrayMenu(u.trayMenu)
	u.trayOn = true
	return true
}

// renderTray updates the tray menu's status line and DND check.
func (u *UI) renderTray() {
	if u.trayMenu == nil {
		return
	}
	status := TrayStatus(u.vm, u.st.DoNotDisturb)
	if u.trayStatus.Label == status && u.trayDND.Checked == u.st.DoNotDisturb {
		return
	}
	u.trayStatus.Label = status
	u.trayDND.Checked = u.st.DoNotDisturb
	if u.trayOn {
		u.trayMenu.Refresh()
	}
}

// SetDoNotDisturb turns Do not disturb on or off: while on, incoming calls
// are declined as busy (486) without ringing. The choice is saved.
func (u *UI) SetDoNotDisturb(on bool) {
	if u.st.DoNotDisturb == on {
		return
	}
	u.st.DoNotDisturb = on
	u.save(u.st.Clone())
	if on {
		u.Notify("Do not disturb: incoming calls are declined as busy.")
	} else {
		u.Notify("Do not disturb is off.")
	}
	u.render(u.ctl.Snapshot())
}

// showWindow brings the main window back from the tray.
func (u *UI) showWindow() {
	u.win.Show()
	u.win.RequestFocus()
}

// quit ends the app (after confirming when calls are in progress).
func (u *UI) quit() {
	if len(u.vm.Calls) > 0 {
		u.showWindow()
	}
	u.confirmQuit()
}

// closeToTray handles the window's close button while a tray is present:
// the first time it asks whether to keep running in the tray.
func (u *UI) closeToTray() {
	if u.st.TrayAsked {
		if u.st.CloseToTray {
			u.RememberWindowSize()
			u.win.Hide()
		} else {
			u.confirmQuit()
		}
		return
	}
	dialog.ShowConfirm("Keep running in the tray?",
		"Closing the window can keep Switchboard running in the system tray, so calls still ring. "+
			"Quit from the tray menu. Keep running in the tray?", func(ok bool) {
			u.st.TrayAsked, u.st.CloseToTray = true, ok
			u.save(u.st.Clone())
			u.closeToTray()
		}, u.win)
}
