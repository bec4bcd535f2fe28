// Package e2e holds the end-to-end test of the desktop app: the real
// binary under Xvfb, with PulseAudio null devices, a gnome-keyring daemon on
// a private D-Bus session, Kamailio and a baresip caller, all on loopback
// and all stopped by PID. See gui_test.go.
package e2e
