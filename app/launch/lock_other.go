//go:build !unix

package launch

import "io/fs"

// lockFile is a no-op where there is no flock (Windows): Listen then
// relies on the socket alone (a live socket means an instance runs).
func lockFile(string) (unlock func(), err error) { return func() {}, nil }

// checkOwner is not needed where the profile directory's ACL keeps other
// users out.
func checkOwner(fs.FileInfo) error { return nil }
