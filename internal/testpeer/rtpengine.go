package testpeer

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Rtpengine is a userspace rtpengine (no kernel forwarding, table = -1)
// listening on 127.0.0.1 only, started by StartRtpengine.
type Rtpengine struct {
	// NGAddr is the control ("ng" protocol) address, "127.0.0.1:port".
	NGAddr string
	// PortMin and PortMax bound the media ports it allocates.
	PortMin, PortMax int
	// Dir holds the config; LogPath its stdout+stderr.
	Dir, LogPath string

	proc *process
}

// StartRtpengine starts rtpengine with a generated config file (never
// /etc/rtpengine, webrtc-notes 21) and waits until it answers an ng ping.
// It is stopped in t.Cleanup.
func StartRtpengine(t testing.TB) *Rtpengine {
	t.Helper()
	bin := requireBinary(t, "rtpengine", "rtpengine-daemon")
	dir := t.TempDir()
	r := &Rtpengine{Dir: dir, LogPath: filepath.Join(dir, "rtpengine.log")}
	ng := FreePort(t, "udp")
	r.NGAddr = fmt.Sprintf("127.0.0.1:%d", ng)
	// A media range unlikely to collide with other peers' ephemeral ports.
	r.PortMin = 40000 + (ng%200)*100
	r.PortMax = r.PortMin + 99
	cfg := fmt.Sprintf(`[rtpengine]
table = -1
interface = 127.0.0.1
listen-ng = %s
port-min = %d
port-max = %d
log-level = 6
log-stderr = true
foreground = true
delete-delay = 0
pidfile = %s
`, r.NGAddr, r.PortMin, r.PortMax, filepath.Join(dir, "rtpengine.pid"))
	path := filepath.Join(dir, "rtpengine.conf")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := startProcess("rtpengine", r.LogPath, dir, bin, "--config-file="+path, "--foreground", "--log-stderr")
	if err != nil {
		t.Fatalf("testpeer: start rtpengine: %v", err)
	}
	r.proc = p
	t.Cleanup(func() {
		r.Stop()
		if t.Failed() {
			dumpLog(t, "rtpengine log", r.LogPath)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if done, err := p.exited(); done {
			dumpLog(t, "rtpengine log", r.LogPath)
			t.Fatalf("testpeer: rtpengine exited: %v", err)
		}
		if r.ping(ctx) == nil {
			return r
		}
		if ctx.Err() != nil {
			dumpLog(t, "rtpengine log", r.LogPath)
			t.Fatalf("testpeer: rtpengine did not answer ng ping within 10 s")
		}
	}
}

// ping sends one ng "ping" and waits up to 200 ms for "pong".
func (r *Rtpengine) ping(ctx context.Context) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", r.NGAddr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := c.Write([]byte("tp1 d7:command4:pinge")); err != nil {
		return err
	}
	b := make([]byte, 256)
	n, err := c.Read(b)
	if err != nil {
		return err
	}
	if !strings.Contains(string(b[:n]), "pong") {
		return fmt.Errorf("unexpected ng reply %q", b[:n])
	}
	return nil
}

// Stop stops rtpengine by its process group.
func (r *Rtpengine) Stop() {
	if r.proc != nil {
		r.proc.stop()
	}
}
