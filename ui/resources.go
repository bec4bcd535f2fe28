package ui

import (
	"fyne.io/fyne/v2"

	"switchboard/assets"
)

var iconResource = fyne.NewStaticResource(assets.IconName, assets.IconPNG)

// Icon returns the app icon (assets/icon.png) as a Fyne resource.
func Icon() fyne.Resource { return iconResource }
