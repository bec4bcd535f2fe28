package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"switchboard/app"
)

// File names of a FileStore inside its directory.
const (
	fileStoreKey  = "secrets.key" // 32 random bytes, 0600
	fileStoreData = "secrets.bin" // nonce + AES-256-GCM(JSON map account → secret)
)

// FileStore is an app.SecretStore in two private files: a random per-install
// key and the secrets encrypted with it (AES-256-GCM, the app ID as
// additional data, so the file only opens as this app's store). It is the
// store on platforms without an OS keyring go-keyring can use (Android);
// put it in the app's private storage, which the OS already keeps from
// other apps. The encryption keeps the secrets out of anything that copies
// the data file without the key (backups, support bundles). The key file is
// where an Android Keystore-wrapped key would go later.
//
// It is safe for concurrent use within one process.
type FileStore struct {
	dir string
	mu  sync.Mutex
}

var _ app.SecretStore = (*FileStore)(nil)

// NewFileStore returns a FileStore in dir (created 0700 on first Set).
func NewFileStore(dir string) *FileStore { return &FileStore{dir: dir} }

// Get implements app.SecretStore; a missing entry wraps app.ErrNoSecret.
func (s *FileStore) Get(account string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.load()
	if err != nil {
		return "", err
	}
	v, ok := m[account]
	if !ok {
		return "", fmt.Errorf("secret store get %q: %w", account, app.ErrNoSecret)
	}
	return v, nil
}

// Set implements app.SecretStore.
func (s *FileStore) Set(account, secret string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.load()
	if err != nil {
		return err
	}
	m[account] = secret
	return s.save(m)
}

// Delete implements app.SecretStore; a missing entry is not an error.
func (s *FileStore) Delete(account string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.load()
	if err != nil {
		return err
	}
	if _, ok := m[account]; !ok {
		return nil
	}
	delete(m, account)
	return s.save(m)
}

// aead returns the cipher, creating the key when create is set.
func (s *FileStore) aead(create bool) (cipher.AEAD, error) {
	path := filepath.Join(s.dir, fileStoreKey)
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(s.dir, 0o700); err != nil {
			return nil, err
		}
		err = os.WriteFile(path, key, 0o600)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: secret store key: %v", app.ErrKeyringUnavailable, err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("%w: secret store key %s is damaged", app.ErrKeyringUnavailable, path)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func (s *FileStore) load() (map[string]string, error) {
	m := map[string]string{}
	b, err := os.ReadFile(filepath.Join(s.dir, fileStoreData))
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", app.ErrKeyringUnavailable, err)
	}
	g, err := s.aead(false)
	if err != nil {
		return nil, err
	}
	if len(b) < g.NonceSize() {
		return nil, fmt.Errorf("%w: the secret store is damaged", app.ErrKeyringUnavailable)
	}
	plain, err := g.Open(nil, b[:g.NonceSize()], b[g.NonceSize():], []byte(Service))
	if err != nil {
		return nil, fmt.Errorf("%w: the secret store does not open with its key", app.ErrKeyringUnavailable)
	}
	if err := json.Unmarshal(plain, &m); err != nil {
		return nil, fmt.Errorf("%w: the secret store is damaged", app.ErrKeyringUnavailable)
	}
	return m, nil
}

func (s *FileStore) save(m map[string]string) error {
	g, err := s.aead(true)
	if err != nil {
		return err
	}
	plain, err := json.Marshal(m)
	if err != nil {
		return err
	}
	nonce := make([]byte, g.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	out := g.Seal(nonce, nonce, plain, []byte(Service))
	tmp, err := os.CreateTemp(s.dir, ".secrets-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(s.dir, fileStoreData))
}
