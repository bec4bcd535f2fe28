//go:build ignore

// gen_icon draws Switchboard's icon: a telephone handset over a row of
// switchboard jacks, one with a plug in it. Run `go run gen_icon.go` in
// this directory to rewrite icon.png, icons/*.png, icon.ico and icon.svg.
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
	"path/filepath"
)

const size = 512
const ss = 4 // supersampling per axis

// icoSizes are the images inside icon.ico (Windows picks per DPI) and the
// hicolor PNGs the Linux package installs.
var icoSizes = []int{16, 24, 32, 48, 64, 128, 256}

func main() {
	write("icon.png", encode(render(size)))
	var pngs [][]byte
	for _, n := range icoSizes {
		b := encode(render(n))
		pngs = append(pngs, b)
		write(fmt.Sprintf("icons/%dx%d.png", n, n), b)
	}
	write("icon.ico", ico(icoSizes, pngs))
	write("icon.svg", []byte(svg))
}

// render draws the icon at n×n pixels, supersampled.
func render(n int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	scale := float64(size) / float64(n)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					px := (float64(x) + (float64(sx)+0.5)/ss) * scale
					py := (float64(y) + (float64(sy)+0.5)/ss) * scale
					c, ok := shade(px, py)
					if !ok {
						continue
					}
					r += c[0]
					g += c[1]
					b += c[2]
					a++
				}
			}
			if a == 0 {
				continue
			}
			img.SetNRGBA(x, y, color.NRGBA{uint8(r / a), uint8(g / a), uint8(b / a), uint8(255 * a / (ss * ss))})
		}
	}
	return img
}

func encode(img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		log.Fatal(err)
	}
	return buf.Bytes()
}

func write(name string, b []byte) {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(name, b, 0o644); err != nil {
		log.Fatal(err)
	}
}

// ico packs PNG images into a Windows .ico (PNG entries are valid since
// Windows Vista; a 256 px entry is written as 0 in the directory).
func ico(sizes []int, pngs [][]byte) []byte {
	var buf bytes.Buffer
	le := func(v any) { _ = binary.Write(&buf, binary.LittleEndian, v) }
	le(uint16(0))
	le(uint16(1)) // icon
	le(uint16(len(pngs)))
	off := 6 + 16*len(pngs)
	for i, p := range pngs {
		d := uint8(sizes[i] % 256)
		buf.Write([]byte{d, d, 0, 0})
		le(uint16(1))  // planes
		le(uint16(32)) // bits per pixel
		le(uint32(len(p)))
		le(uint32(off))
		off += len(p)
	}
	for _, p := range pngs {
		buf.Write(p)
	}
	return buf.Bytes()
}

// shade returns the colour at (x, y), or false outside the icon.
func shade(x, y float64) ([3]float64, bool) {
	if !roundRect(x, y, 16, 16, 496, 496, 104) {
		return [3]float64{}, false
	}
	t := y / size // vertical gradient, teal to deep blue
	bg := [3]float64{0x1f + (0x12-0x1f)*t, 0x8a + (0x4a-0x8a)*t, 0x9e + (0x6e-0x9e)*t}
	white := [3]float64{0xfa, 0xfa, 0xf5}
	brass := [3]float64{0xf2, 0xb6, 0x3c}
	if handset(x, y) {
		return white, true
	}
	// switchboard jacks
	for i, cx := range []float64{166, 256, 346} {
		d := math.Hypot(x-cx, y-404)
		switch {
		case i == 1 && x > cx-16 && x < cx+16 && y < 404 && y > 346:
			return brass, true // the plug's cord
		case i == 1 && d < 30:
			return brass, true // the plug
		case d < 28:
			return [3]float64{0x0b, 0x2e, 0x40}, true
		case d < 36:
			return [3]float64{0xd9, 0xe6, 0xea}, true
		}
	}
	return bg, true
}

// handset is a curved handle between an ear cup and a mouth cup.
func handset(x, y float64) bool {
	cx, cy := 256.0, 360.0
	dx, dy := x-cx, cy-y // y up
	r := math.Hypot(dx, dy)
	ang := math.Atan2(dy, dx) * 180 / math.Pi
	if r > 150 && r < 194 && ang > 30 && ang < 150 {
		return true
	}
	// cups: capsules at both ends, pointing down-and-out
	for _, a := range []float64{30, 150} {
		rad := a * math.Pi / 180
		ex, ey := cx+173*math.Cos(rad), cy-173*math.Sin(rad)
		// the cup's axis points from the handle's end downwards
		dir := [2]float64{0.82, 0.57}
		if a > 90 {
			dir[0] = -dir[0]
		}
		if capsule(x, y, ex-dir[0]*30, ey+dir[1]*40, ex+dir[0]*40, ey+dir[1]*40, 40) {
			return true
		}
	}
	return false
}

func capsule(x, y, ax, ay, bx, by, rad float64) bool {
	vx, vy := bx-ax, by-ay
	t := ((x-ax)*vx + (y-ay)*vy) / (vx*vx + vy*vy)
	t = math.Max(0, math.Min(1, t))
	return math.Hypot(x-(ax+t*vx), y-(ay+t*vy)) < rad
}

func roundRect(x, y, x0, y0, x1, y1, rad float64) bool {
	if x < x0 || x > x1 || y < y0 || y > y1 {
		return false
	}
	cx := math.Max(x0+rad, math.Min(x, x1-rad))
	cy := math.Max(y0+rad, math.Min(y, y1-rad))
	return math.Hypot(x-cx, y-cy) <= rad
}

// svg is the same drawing as shade, as a scalable icon (Linux hicolor
// "scalable", docs, the web). Keep the two in step.
const svg = `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512">
  <title>Switchboard</title>
  <defs>
    <linearGradient id="bg" gradientUnits="userSpaceOnUse" x1="0" y1="0" x2="0" y2="512">
      <stop offset="0" stop-color="#1f8a9e"/>
      <stop offset="1" stop-color="#124a6e"/>
    </linearGradient>
  </defs>
  <rect x="16" y="16" width="480" height="480" rx="104" fill="url(#bg)"/>
  <g fill="#d9e6ea">
    <circle cx="166" cy="404" r="36"/><circle cx="256" cy="404" r="36"/><circle cx="346" cy="404" r="36"/>
  </g>
  <g fill="#0b2e40">
    <circle cx="166" cy="404" r="28"/><circle cx="346" cy="404" r="28"/>
  </g>
  <g fill="#f2b63c">
    <circle cx="256" cy="404" r="30"/><rect x="240" y="346" width="32" height="58"/>
  </g>
  <g fill="#fafaf5">
    <path d="M 424.01 263 A 194 194 0 0 0 87.99 263 L 126.10 285 A 150 150 0 0 1 385.90 285 Z"/>
  </g>
  <g stroke="#fafaf5" stroke-width="80" stroke-linecap="round">
    <line x1="381.22" y1="296.31" x2="438.62" y2="296.31"/>
    <line x1="130.78" y1="296.31" x2="73.38" y2="296.31"/>
  </g>
</svg>
`
