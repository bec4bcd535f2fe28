package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// dialpadKeys are the twelve keys in telephone order.
var dialpadKeys = [12]string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"}

// newDialpad returns a 3×4 keypad calling press with the key's text.
func newDialpad(press func(key string)) *fyne.Container {
	objs := make([]fyne.CanvasObject, 0, len(dialpadKeys))
	for _, k := range dialpadKeys {
		objs = append(objs, widget.NewButton(k, func() { press(k) }))
	}
	return container.NewGridWithColumns(3, objs...)
}

// dialEntry is the dial field: an Entry whose Enter and Escape keys act on
// calls (dial or answer, hang up or decline) instead of only editing.
type dialEntry struct {
	widget.Entry
	onEnter  func()
	onEscape func()
}

func newDialEntry() *dialEntry {
	e := &dialEntry{}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey implements fyne.Focusable.
func (e *dialEntry) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		if e.onEnter != nil {
			e.onEnter()
		}
	case fyne.KeyEscape:
		if e.onEscape != nil {
			e.onEscape()
		}
	default:
		e.Entry.TypedKey(k)
	}
}
