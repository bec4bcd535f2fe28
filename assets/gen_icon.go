//go:build ignore

// gen_icon draws Switchboard's icon: a telephone handset over a row of
// switchboard jacks, one with a plug in it. Run `go run gen_icon.go` in
// this directory to rewrite icon.png.
package main

import (
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
)

const size = 512
const ss = 4 // supersampling per axis

func main() {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					px := float64(x) + (float64(sx)+0.5)/ss
					py := float64(y) + (float64(sy)+0.5)/ss
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
	f, err := os.Create("icon.png")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		log.Fatal(err)
	}
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
