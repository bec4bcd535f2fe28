//go:build unix

package launch

import (
	"net"
	"os"
	"path/filepath"
)

// listenLocal listens on a unix socket in dir (0600 inside a 0700
// directory), replacing one a crashed instance left behind; the caller
// holds the lock, so no live instance owns it.
func listenLocal(dir string) (net.Listener, error) {
	sock := filepath.Join(dir, sockName)
	_ = os.Remove(sock)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return nil, err
	}
	_ = os.Chmod(sock, 0o600)
	return ln, nil
}
