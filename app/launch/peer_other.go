//go:build !linux

package launch

import "net"

// checkPeer relies on the key file alone outside Linux.
func checkPeer(net.Conn) error { return nil }
