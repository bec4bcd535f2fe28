//go:build !cgo || nospandsp || nog722

package plc

import "errors"

// This file stands in where libspandsp is not linked (the Windows
// cross-build, tagged nog722): New reports that the concealer is
// unavailable and callers fall back to their own (phone/media fades the
// last frame).

// ErrUnavailable is returned by New in builds without spandsp.
var ErrUnavailable = errors.New("plc: spandsp is not part of this build")

// Concealer is never created in this build.
type Concealer struct{}

// New always fails with ErrUnavailable here.
func New(rate int) (*Concealer, error) { return nil, ErrUnavailable }

// Good does nothing here.
func (c *Concealer) Good(pcm []int16) {}

// Fill writes silence here.
func (c *Concealer) Fill(dst []int16) { clear(dst) }

// Lost is always 0 here.
func (c *Concealer) Lost() int { return 0 }

// Rate is 0 here.
func (c *Concealer) Rate() int { return 0 }

// Close does nothing here.
func (c *Concealer) Close() error { return nil }
