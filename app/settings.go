package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"switchboard/phone"
)

// PrefStore is the key/value store settings live in. fyne.Preferences
// satisfies it structurally; tests use a map.
type PrefStore interface {
	String(key string) string
	SetString(key, value string)
}

// Preference keys. Settings are one JSON value under SettingsKey; nothing
// else reads raw keys.
const (
	SettingsKey = "settings.v1"
	// BackupKey receives a copy of an unreadable settings value before Load
	// falls back to defaults, so nothing the user had is lost silently.
	BackupKey = "settings.v1.unreadable"
)

// SettingsVersion is the schema version Save writes.
const SettingsVersion = 1

// MaxRecentDials is how many recent dial targets Settings keeps.
const MaxRecentDials = 20

// ErrSettingsUnreadable is returned (wrapped) by Load when the stored value
// is not valid JSON; the returned Settings are then the defaults.
var ErrSettingsUnreadable = errors.New("stored settings are unreadable")

// ErrSettingsTooNew is returned (wrapped) by Load when the stored value was
// written by a newer Switchboard; the fields this version knows are kept.
var ErrSettingsTooNew = errors.New("stored settings come from a newer version")

// Settings are Switchboard's non-secret configuration. Passwords are never
// part of it: they live in a SecretStore under the account ID.
type Settings struct {
	// Version is the schema version; Load migrates older ones.
	Version int `json:"version"`
	// InstanceID is a UUID created once per install; it becomes the
	// RFC 5626 +sip.instance of our registrations.
	InstanceID string `json:"instance_id"`
	// Accounts are the SIP identities, passwords excluded.
	Accounts []phone.Account `json:"accounts"`
	// InputDevice and OutputDevice are audio device IDs ("" = system default).
	InputDevice  string `json:"input_device,omitempty"`
	OutputDevice string `json:"output_device,omitempty"`
	// RingerDevice plays the ringtone ("" = same as OutputDevice).
	RingerDevice string `json:"ringer_device,omitempty"`
	// EchoCancelOff and NoiseSuppressionOff switch off the acoustic echo
	// cancellation and noise suppression that are on by default.
	EchoCancelOff       bool `json:"echo_cancel_off,omitempty"`
	NoiseSuppressionOff bool `json:"noise_suppression_off,omitempty"`
	// MicGain and SpeakerVolume are percentages (100 = as the device
	// gives it; 0 = unset, also 100).
	MicGain       int `json:"mic_gain,omitempty"`
	SpeakerVolume int `json:"speaker_volume,omitempty"`
	// Codecs is the codec preference order, e.g. ["PCMU", "PCMA"].
	Codecs []string `json:"codecs,omitempty"`
	// ListenAddr is the local SIP address for direct-IP calls ("" = backend default).
	ListenAddr string `json:"listen_addr,omitempty"`
	// STUN is a host:port used to learn the public address of account
	// calls' RTP (advertised in their SDP); "" = none.
	STUN string `json:"stun,omitempty"`
	// RTPPortMin and RTPPortMax bound the local RTP ports (0 = backend
	// default). ListenAddr, the RTP range and STUN apply at the next start.
	RTPPortMin int `json:"rtp_port_min,omitempty"`
	RTPPortMax int `json:"rtp_port_max,omitempty"`
	// DoNotDisturb declines incoming calls as busy (486) without ringing.
	DoNotDisturb bool `json:"do_not_disturb,omitempty"`
	// CloseToTray keeps the app running in the system tray when the
	// window is closed (where a tray exists); TrayAsked records that the
	// agent was asked once.
	CloseToTray bool `json:"close_to_tray,omitempty"`
	TrayAsked   bool `json:"tray_asked,omitempty"`
	// RecentDials are dial targets, most recent first, at most MaxRecentDials.
	RecentDials []string `json:"recent_dials,omitempty"`
	// Window is the main window's size at the last quit (zero: default).
	Window WindowSize `json:"window,omitzero"`
	// DirectIPChosen is set once the agent chose "Use direct IP calls" on
	// the first-run screen, which then no longer shows without an account.
	DirectIPChosen bool `json:"direct_ip_chosen,omitempty"`
}

// WindowSize is a window's size in Fyne units.
type WindowSize struct {
	Width  float32 `json:"width"`
	Height float32 `json:"height"`
}

// Valid reports whether the size is plausible enough to restore.
func (w WindowSize) Valid() bool {
	return w.Width >= 200 && w.Height >= 200 && w.Width <= 10000 && w.Height <= 10000
}

// DefaultCodecs is the codec order of a new install.
// It matches phone/media.DefaultCodecs: Opus, then G.722, then G.711.
var DefaultCodecs = []string{"opus", "G722", "PCMU", "PCMA"}

// Defaults returns the settings of a fresh install with a new InstanceID.
func Defaults() Settings {
	return Settings{
		Version:    SettingsVersion,
		InstanceID: uuid.NewString(),
		Codecs:     slices.Clone(DefaultCodecs),
	}
}

// Load reads settings from p. On first use it creates them (with a new
// InstanceID) and stores them at once, so the InstanceID is stable even if
// the caller never saves. Older schema versions are migrated and written
// back. Unreadable values are copied to BackupKey and replaced by defaults;
// the error then wraps ErrSettingsUnreadable, but the Settings are usable.
func Load(p PrefStore) (Settings, error) {
	raw := p.String(SettingsKey)
	if strings.TrimSpace(raw) == "" {
		s := Defaults()
		return s, Save(p, s)
	}
	var s Settings
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		p.SetString(BackupKey, raw)
		d := Defaults()
		if serr := Save(p, d); serr != nil {
			return d, serr
		}
		return d, fmt.Errorf("load settings: %w (%v); defaults used, old value kept under %q",
			ErrSettingsUnreadable, err, BackupKey)
	}
	if s.Version > SettingsVersion {
		s.fillDefaults()
		return s, fmt.Errorf("load settings: %w (version %d, this build knows %d)",
			ErrSettingsTooNew, s.Version, SettingsVersion)
	}
	changed := s.migrate()
	if s.fillDefaults() {
		changed = true
	}
	if changed {
		return s, Save(p, s)
	}
	return s, nil
}

// migrate upgrades s step by step to SettingsVersion and reports whether
// anything changed.
func (s *Settings) migrate() bool {
	start := s.Version
	for s.Version < SettingsVersion {
		switch s.Version {
		case 0:
			// Pre-release values had no version and no codec order; an
			// account without an ID used its AOR.
			for i := range s.Accounts {
				if s.Accounts[i].ID == "" {
					s.Accounts[i].ID = s.Accounts[i].AOR
				}
			}
		}
		s.Version++
	}
	return s.Version != start
}

// fillDefaults sets what must never be empty and reports whether it did.
func (s *Settings) fillDefaults() bool {
	changed := false
	if _, err := uuid.Parse(s.InstanceID); err != nil {
		s.InstanceID = uuid.NewString()
		changed = true
	}
	if len(s.Codecs) == 0 {
		s.Codecs = slices.Clone(DefaultCodecs)
		changed = true
	}
	return changed
}

// Save stores s in p as one JSON value under SettingsKey, stamping the
// current schema version. Passwords are never part of it.
func Save(p PrefStore, s Settings) error {
	if s.Version < SettingsVersion {
		s.Version = SettingsVersion
	}
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	p.SetString(SettingsKey, string(b))
	return nil
}

// Clone returns a deep copy of s, so a copy handed to another goroutine
// shares no slices with the original.
func (s Settings) Clone() Settings {
	c := s
	c.Accounts = make([]phone.Account, len(s.Accounts))
	for i, a := range s.Accounts {
		a.Codecs = slices.Clone(a.Codecs)
		c.Accounts[i] = a
	}
	if s.Accounts == nil {
		c.Accounts = nil
	}
	c.Codecs = slices.Clone(s.Codecs)
	c.RecentDials = slices.Clone(s.RecentDials)
	return c
}

// Account returns the account with id.
func (s *Settings) Account(id string) (phone.Account, bool) {
	for _, a := range s.Accounts {
		if a.ID == id {
			return a, true
		}
	}
	return phone.Account{}, false
}

// PutAccount adds a, or replaces the account with the same ID (an empty ID
// becomes the AOR, as the phone does).
func (s *Settings) PutAccount(a phone.Account) {
	if a.ID == "" {
		a.ID = a.AOR
	}
	for i := range s.Accounts {
		if s.Accounts[i].ID == a.ID {
			s.Accounts[i] = a
			return
		}
	}
	s.Accounts = append(s.Accounts, a)
}

// RemoveAccount deletes the account with id and reports whether it existed.
func (s *Settings) RemoveAccount(id string) bool {
	n := len(s.Accounts)
	s.Accounts = slices.DeleteFunc(s.Accounts, func(a phone.Account) bool { return a.ID == id })
	return len(s.Accounts) != n
}

// AddRecentDial records target as the most recent dial, dropping an older
// duplicate and keeping at most MaxRecentDials entries.
func (s *Settings) AddRecentDial(target string) {
	target = strings.TrimSpace(target)
	if target == "" {
		return
	}
	s.RecentDials = slices.DeleteFunc(s.RecentDials, func(t string) bool { return t == target })
	s.RecentDials = slices.Insert(s.RecentDials, 0, target)
	if len(s.RecentDials) > MaxRecentDials {
		s.RecentDials = s.RecentDials[:MaxRecentDials]
	}
}

// DefaultSIPPort is the SIP listen port when ListenAddr gives none.
const DefaultSIPPort = 5060

// ListenPort returns the port of ListenAddr (DefaultSIPPort when unset or
// unreadable).
func (s *Settings) ListenPort() int {
	_, port, err := net.SplitHostPort(s.ListenAddr)
	if err != nil {
		return DefaultSIPPort
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return DefaultSIPPort
	}
	return n
}

// SetListenPort sets the port of ListenAddr, keeping its host (0.0.0.0
// when unset).
func (s *Settings) SetListenPort(port int) {
	host, _, err := net.SplitHostPort(s.ListenAddr)
	if err != nil || host == "" {
		host = "0.0.0.0"
	}
	s.ListenAddr = net.JoinHostPort(host, strconv.Itoa(port))
}

// ValidateNetwork checks a SIP listen port and an RTP port range as the
// Network settings take them; it returns a *phone.FieldError.
func ValidateNetwork(sipPort, rtpMin, rtpMax int) error {
	switch {
	case sipPort < 0 || sipPort > 65535:
		return &phone.FieldError{Field: "SIP port", Message: "use a port from 1 to 65535 (0 = any free port)"}
	case rtpMin == 0 && rtpMax == 0:
		return nil
	case rtpMin < 1024 || rtpMax > 65535 || rtpMin > rtpMax:
		return &phone.FieldError{Field: "RTP ports", Message: "use a range like 10000–20000 (from 1024 to 65535, first not above last)"}
	case rtpMax-rtpMin < 2:
		return &phone.FieldError{Field: "RTP ports", Message: "the range needs room for at least one call (RTP and RTCP)"}
	}
	return nil
}
