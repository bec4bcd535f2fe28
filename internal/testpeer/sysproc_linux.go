package testpeer

import "syscall"

// groupAttr starts a peer in its own process group (stopped by PID as a
// group) that the kernel kills if the test process dies first.
func groupAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
