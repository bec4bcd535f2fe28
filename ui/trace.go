package ui

import (
	"context"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"switchboard/app"
)

// traceEvery is how often an open trace viewer looks for new messages.
const traceEvery = 500 * time.Millisecond

// traceViewer is the SIP trace window: recent SIP messages, newest last,
// one list row per text line, with Copy all.
type traceViewer struct {
	win   fyne.Window
	list  *widget.List
	lines []string
	count *widget.Label
	copy  *widget.Button
	empty *widget.Label
	seq   uint64
	stop  context.CancelFunc
}

// TraceLines flattens trace entries into the lines the viewer shows: each
// entry's header line, its message lines indented, and a blank line
// between entries.
func TraceLines(entries []app.TraceEntry) []string {
	var out []string
	for i, e := range entries {
		if i > 0 {
			out = append(out, "")
		}
		out = append(out, e.Header())
		msg := strings.TrimRight(strings.ReplaceAll(e.Msg, "\r\n", "\n"), "\n")
		for _, l := range strings.Split(msg, "\n") {
			out = append(out, "  "+l)
		}
	}
	return out
}

// showTrace opens the SIP trace window, or brings it to the front.
func (u *UI) showTrace() {
	if u.trace == nil {
		u.Notify("The SIP trace is not available in this build.")
		return
	}
	if u.traceView != nil {
		u.traceView.win.Show()
		u.traceView.win.RequestFocus()
		return
	}
	v := &traceViewer{win: fyne.CurrentApp().NewWindow("SIP trace")}
	v.list = widget.NewList(
		func() int { return len(v.lines) },
		func() fyne.CanvasObject {
			// canvas.Text, not Label: no padding, so a message reads as a block.
			t := canvas.NewText("", theme.Color(theme.ColorNameForeground))
			t.TextStyle = fyne.TextStyle{Monospace: true}
			return t
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id >= len(v.lines) {
				return
			}
			t := o.(*canvas.Text)
			t.Text = v.lines[id]
			t.Color = theme.Color(theme.ColorNameForeground)
			if !strings.HasPrefix(t.Text, " ") { // entry headers
				t.Color = theme.Color(theme.ColorNamePrimary)
			}
			t.Refresh()
		},
	)
	v.list.HideSeparators = true
	v.count = widget.NewLabel("")
	v.count.Importance = widget.LowImportance
	v.count.Truncation = fyne.TextTruncateEllipsis
	v.empty = widget.NewLabel("No SIP messages yet. They appear here as Switchboard registers and calls.")
	v.empty.Wrapping = fyne.TextWrapWord
	v.copy = widget.NewButtonWithIcon("Copy all", theme.ContentCopyIcon(), func() {
		fyne.CurrentApp().Clipboard().SetContent(strings.Join(v.lines, "\n") + "\n")
		u.Notify("SIP trace copied to the clipboard.")
	})
	bottom := container.NewBorder(nil, nil, nil, v.copy, v.count)
	v.win.SetContent(container.NewBorder(nil, bottom, nil, nil, container.NewStack(v.list, v.empty)))
	v.win.Resize(fyne.NewSize(720, 520))
	ctx, cancel := context.WithCancel(u.ctx)
	v.stop = cancel
	v.win.SetOnClosed(func() {
		cancel()
		if u.traceView == v {
			u.traceView = nil
		}
	})
	u.traceView = v
	u.refreshTrace()
	v.win.Show()
	go u.watchTrace(ctx, v, v.seq)
}

// watchTrace polls the trace ring while the viewer is open and refreshes
// it when something changed.
func (u *UI) watchTrace(ctx context.Context, v *traceViewer, last uint64) {
	t := time.NewTicker(traceEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if s := u.trace.Seq(); s != last {
				last = s
				u.post(func() {
					if u.traceView == v {
						u.refreshTrace()
					}
				})
			}
		}
	}
}

// refreshTrace reloads the open viewer from the ring and scrolls to the
// newest message.
func (u *UI) refreshTrace() {
	v := u.traceView
	if v == nil {
		return
	}
	v.seq = u.trace.Seq() // before Entries: a message in between shows next time
	entries := u.trace.Entries()
	v.lines = TraceLines(entries)
	n := len(entries)
	count := strconv.Itoa(n) + " messages"
	if n == 1 {
		count = "1 message"
	}
	v.count.SetText(count + " (newest last). Authorization headers are never shown.")
	showIf(v.empty, n == 0)
	if n == 0 {
		v.copy.Disable()
	} else {
		v.copy.Enable()
	}
	v.list.Refresh()
	if len(v.lines) > 0 {
		v.list.ScrollToBottom()
	}
}
