package app

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestMemStore(t *testing.T) {
	var s SecretStore = NewMemStore()
	if _, err := s.Get("a"); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("Get missing: %v", err)
	}
	if err := s.Set("a", "pw1"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get("a"); err != nil || v != "pw1" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if err := s.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("a"); err != nil {
		t.Fatalf("Delete missing: %v", err)
	}
	if _, err := s.Get("a"); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("Get after delete: %v", err)
	}
	var zero MemStore
	if err := zero.Set("x", "y"); err != nil {
		t.Fatal(err)
	}
}

func TestSecretIsRedacted(t *testing.T) {
	const pw = "hunter2"
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("register", "password", Secret(pw))
	log.Info("register", slog.Any("pw", Secret(pw)))
	for _, s := range []string{
		buf.String(),
		fmt.Sprint(Secret(pw)),
		fmt.Sprintf("%v %s %q %+v %#v", Secret(pw), Secret(pw), Secret(pw), Secret(pw), Secret(pw)),
		fmt.Sprintf("%+v", struct{ P Secret }{Secret(pw)}),
	} {
		if strings.Contains(s, pw) {
			t.Fatalf("secret leaked: %s", s)
		}
		if !strings.Contains(s, Redacted) {
			t.Fatalf("no redaction marker: %s", s)
		}
	}
	if string(Secret(pw)) != pw {
		t.Fatal("string conversion must give the value")
	}
}
