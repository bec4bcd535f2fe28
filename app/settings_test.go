package app

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"switchboard/phone"
)

// mapPrefs is an in-memory PrefStore.
type mapPrefs map[string]string

func (m mapPrefs) String(key string) string    { return m[key] }
func (m mapPrefs) SetString(key, value string) { m[key] = value }

func TestLoadFirstRunCreatesStableInstanceID(t *testing.T) {
	p := mapPrefs{}
	s, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uuid.Parse(s.InstanceID); err != nil {
		t.Fatalf("InstanceID %q is not a UUID: %v", s.InstanceID, err)
	}
	if s.Version != SettingsVersion || len(s.Codecs) == 0 {
		t.Fatalf("defaults not applied: %+v", s)
	}
	if p[SettingsKey] == "" {
		t.Fatal("first Load did not persist the settings")
	}
	again, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if again.InstanceID != s.InstanceID {
		t.Fatalf("InstanceID changed between loads: %q then %q", s.InstanceID, again.InstanceID)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	p := mapPrefs{}
	s, _ := Load(p)
	a := phone.GenericPreset()
	a.ID, a.AOR, a.AuthUser, a.Expiry = "alice", "sip:alice@example.com", "alice01", 300*time.Second
	s.PutAccount(a)
	s.PutAccount(phone.SinchPreset("acme", "+15551234567"))
	s.InputDevice, s.OutputDevice, s.RingerDevice = "mic-1", "spk-1", "spk-2"
	s.Codecs = []string{"PCMA", "PCMU"}
	s.ListenAddr, s.STUN = "0.0.0.0:5062", "stun.example.com:3478"
	s.AddRecentDial("1001")
	if err := Save(p, s); err != nil {
		t.Fatal(err)
	}
	got, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(s)
	have, _ := json.Marshal(got)
	if string(want) != string(have) {
		t.Fatalf("round trip differs:\nwant %s\nhave %s", want, have)
	}
	if strings.Contains(p[SettingsKey], "password") {
		t.Fatal("settings JSON mentions a password")
	}
}

func TestLoadMigratesVersion0(t *testing.T) {
	id := uuid.NewString()
	p := mapPrefs{SettingsKey: `{"instance_id":"` + id + `","accounts":[{"aor":"sip:bob@example.org","enabled":true,"dial_plan":{}}]}`}
	s, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != SettingsVersion || s.InstanceID != id {
		t.Fatalf("got version %d id %q", s.Version, s.InstanceID)
	}
	if len(s.Accounts) != 1 || s.Accounts[0].ID != "sip:bob@example.org" {
		t.Fatalf("account ID not migrated: %+v", s.Accounts)
	}
	if !strings.Contains(p[SettingsKey], `"version":1`) {
		t.Fatalf("migrated settings not written back: %s", p[SettingsKey])
	}
}

func TestLoadUnreadableKeepsBackup(t *testing.T) {
	p := mapPrefs{SettingsKey: "{not json"}
	s, err := Load(p)
	if !errors.Is(err, ErrSettingsUnreadable) {
		t.Fatalf("err = %v, want ErrSettingsUnreadable", err)
	}
	if s.InstanceID == "" || p[BackupKey] != "{not json" {
		t.Fatalf("defaults %+v, backup %q", s, p[BackupKey])
	}
}

func TestLoadTooNew(t *testing.T) {
	id := uuid.NewString()
	raw := `{"version":99,"instance_id":"` + id + `","stun":"s:3478"}`
	p := mapPrefs{SettingsKey: raw}
	s, err := Load(p)
	if !errors.Is(err, ErrSettingsTooNew) {
		t.Fatalf("err = %v", err)
	}
	if s.STUN != "s:3478" || s.InstanceID != id || p[SettingsKey] != raw {
		t.Fatalf("newer settings must be read and left untouched: %+v", s)
	}
}

func TestAccountsAndRecentDials(t *testing.T) {
	var s Settings
	s.PutAccount(phone.Account{AOR: "sip:a@x"})
	s.PutAccount(phone.Account{ID: "b", AOR: "sip:b@x"})
	s.PutAccount(phone.Account{ID: "b", AOR: "sip:b2@x"})
	if len(s.Accounts) != 2 {
		t.Fatalf("accounts: %+v", s.Accounts)
	}
	if a, ok := s.Account("b"); !ok || a.AOR != "sip:b2@x" {
		t.Fatalf("replace failed: %+v", a)
	}
	if !s.RemoveAccount("sip:a@x") || s.RemoveAccount("nope") || len(s.Accounts) != 1 {
		t.Fatalf("remove: %+v", s.Accounts)
	}
	for i := range MaxRecentDials + 5 {
		s.AddRecentDial(string(rune('a' + i)))
	}
	s.AddRecentDial("c")
	if len(s.RecentDials) != MaxRecentDials || s.RecentDials[0] != "c" {
		t.Fatalf("recent: %v", s.RecentDials)
	}
	c := s.Clone()
	c.RecentDials[0] = "changed"
	c.Accounts[0].AOR = "changed"
	if s.RecentDials[0] != "c" || s.Accounts[0].AOR == "changed" {
		t.Fatal("Clone shares memory")
	}
}
