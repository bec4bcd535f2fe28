package launch

import (
	"fmt"
	"net"
	"os"
	"syscall"
)

// checkPeer verifies, with SO_PEERCRED, that the process at the other end
// of c runs as our user (the key file already proves it; this is a second
// lock on the door).
func checkPeer(c net.Conn) error {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return nil
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return err
	}
	var cred *syscall.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return err
	}
	if cerr != nil {
		return cerr
	}
	if int(cred.Uid) != os.Getuid() {
		return fmt.Errorf("peer uid %d is not our user", cred.Uid)
	}
	return nil
}
