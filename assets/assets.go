// Package assets embeds Switchboard's static files: the app icon (drawn by
// gen_icon.go, run `go generate ./assets` to redraw it) and, later,
// ringtones. gen_icon.go also writes the icon set the packages use and the
// binary does not embed: icons/NxN.png (Linux hicolor sizes), icon.ico
// (the Windows exe resource) and icon.svg (scalable). It has no Fyne import, so the core may use it too; ui wraps
// the bytes into fyne.StaticResource.
package assets

import "embed"

//go:generate go run gen_icon.go

// FS holds every embedded asset, by file name.
//
//go:embed icon.png
var FS embed.FS

// IconPNG is the 512×512 app icon: a handset over switchboard jacks.
//
//go:embed icon.png
var IconPNG []byte

// IconName is the icon's file name inside FS.
const IconName = "icon.png"
