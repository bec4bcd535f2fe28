//go:build unix && !linux

package testpeer

import "syscall"

// groupAttr starts a peer in its own process group. Only Linux can have
// it killed with the test process (Pdeathsig); elsewhere t.Cleanup does it.
func groupAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
