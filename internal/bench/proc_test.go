package bench

import (
	"os"
	"runtime"
	"testing"
	"time"
)

func TestStatTimesOddComm(t *testing.T) {
	line := []byte("1234 (a) b (c) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 3 0 99 1000 200 0 0")
	comm, u, s, err := statTimes(line)
	if err != nil {
		t.Fatal(err)
	}
	if comm != "a) b (c" || u != 250 || s != 75 {
		t.Fatalf("statTimes = %q %d %d", comm, u, s)
	}
	if _, _, _, err := statTimes([]byte("1234 (x) S 1")); err == nil {
		t.Fatal("short line accepted")
	}
}

func TestReadSampleSelf(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	before, err := ReadSample(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Burn CPU until the tick counter moves (bounded: a loaded machine may
	// give this loop little CPU).
	after := before
	for deadline := time.Now().Add(5 * time.Second); after.CPU <= before.CPU && time.Now().Before(deadline); {
		for end := time.Now().Add(20 * time.Millisecond); time.Now().Before(end); {
		}
		if after, err = ReadSample(os.Getpid()); err != nil {
			t.Fatal(err)
		}
	}
	if after.CPU <= before.CPU {
		t.Errorf("CPU did not advance: %v -> %v", before.CPU, after.CPU)
	}
	if after.HWMKiB <= 0 || after.RSSKiB <= 0 || after.HWMKiB < after.RSSKiB {
		t.Errorf("VmHWM %d KiB, VmRSS %d KiB", after.HWMKiB, after.RSSKiB)
	}
	if after.Threads < 1 || len(after.PerThread) == 0 || after.CtxSwitches == 0 {
		t.Errorf("threads %d, per-thread %d, switches %d", after.Threads, len(after.PerThread), after.CtxSwitches)
	}
	self := FindPIDs(func(argv []string) bool { return argv[0] == os.Args[0] })
	found := false
	for _, p := range self {
		found = found || p == os.Getpid()
	}
	if !found {
		t.Errorf("FindPIDs did not find this process (%d) among %v", os.Getpid(), self)
	}
}
