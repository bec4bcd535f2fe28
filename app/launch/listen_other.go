//go:build !unix

package launch

import "net"

// listenLocal listens on a loopback TCP port (Windows): AF_UNIX exists only
// from Windows 10 1803 on, and not under Wine. The port is written to the
// instance key file in the user's profile, whose ACL keeps other users out;
// every request must carry the key from that file, so another local user
// who finds the port cannot hand anything off.
func listenLocal(string) (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
