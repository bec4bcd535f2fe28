package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Sample is one reading of a process's resource use from /proc.
type Sample struct {
	PID int
	// At is when the sample was taken (wall clock, monotonic).
	At time.Time
	// CPU is user+system time of all the process's threads since it started
	// (utime+stime of /proc/PID/stat, converted from clock ticks).
	CPU time.Duration
	// UserCPU and SysCPU split CPU.
	UserCPU, SysCPU time.Duration
	// HWMKiB is the peak resident set size (VmHWM); RSSKiB the current one
	// (VmRSS), both in KiB.
	HWMKiB, RSSKiB int64
	// AnonKiB and FileKiB split the current RSS into anonymous memory (heap,
	// stacks) and file-backed pages (the executable and shared libraries).
	AnonKiB, FileKiB int64
	// Threads is the number of threads right now.
	Threads int
	// CtxSwitches is voluntary+involuntary context switches summed over the
	// threads alive now (/proc/PID/task/*/status), a proxy for wake-ups.
	CtxSwitches uint64
	// PerThread is the CPU time of each live thread.
	PerThread []ThreadCPU
}

// ThreadCPU is the CPU time one thread has used.
type ThreadCPU struct {
	TID  int
	Name string // comm, e.g. "baresip" or a thread name
	CPU  time.Duration
}

var clockTicks = func() int64 {
	if out, err := exec.Command("getconf", "CLK_TCK").Output(); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil && n > 0 {
			return n
		}
	}
	return 100 // USER_HZ on every Linux architecture Go supports
}()

// ClockTicks returns the kernel's USER_HZ (getconf CLK_TCK, else 100): the
// unit of the CPU times in /proc/PID/stat.
func ClockTicks() int64 { return clockTicks }

func ticks(n uint64) time.Duration {
	return time.Duration(n) * time.Second / time.Duration(clockTicks)
}

// statTimes parses the comm, utime and stime of a /proc/PID/stat or
// /proc/PID/task/TID/stat line. comm may hold spaces and parentheses, so the
// fields are counted from the last ')'.
func statTimes(b []byte) (comm string, utime, stime uint64, err error) {
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return "", 0, 0, errors.New("bench: malformed stat line")
	}
	comm = string(b[open+1 : end])
	f := strings.Fields(string(b[end+1:]))
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return "", 0, 0, errors.New("bench: short stat line")
	}
	if utime, err = strconv.ParseUint(f[11], 10, 64); err != nil {
		return "", 0, 0, err
	}
	if stime, err = strconv.ParseUint(f[12], 10, 64); err != nil {
		return "", 0, 0, err
	}
	return comm, utime, stime, nil
}

// statusField returns the first number of a "Name:\t123 kB" line of a
// /proc status file, or -1 when the field is missing.
func statusField(status []byte, name string) int64 {
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return n
				}
			}
		}
	}
	return -1
}

// ReadSample reads pid's CPU time, memory, thread count and context
// switches from /proc. It fails once the process has exited (or is a
// zombie with no memory left to report).
func ReadSample(pid int) (Sample, error) {
	s := Sample{PID: pid, At: time.Now()}
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return s, err
	}
	_, ut, st, err := statTimes(stat)
	if err != nil {
		return s, fmt.Errorf("%s/stat: %w", dir, err)
	}
	s.UserCPU, s.SysCPU = ticks(ut), ticks(st)
	s.CPU = s.UserCPU + s.SysCPU
	status, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		return s, err
	}
	s.HWMKiB = statusField(status, "VmHWM")
	s.RSSKiB = statusField(status, "VmRSS")
	s.AnonKiB = statusField(status, "RssAnon")
	s.FileKiB = statusField(status, "RssFile")
	s.Threads = int(statusField(status, "Threads"))
	if s.HWMKiB < 0 {
		return s, fmt.Errorf("%s/status has no VmHWM (process exited?)", dir)
	}
	tasks, _ := os.ReadDir(filepath.Join(dir, "task"))
	for _, e := range tasks {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		tdir := filepath.Join(dir, "task", e.Name())
		if ts, err := os.ReadFile(filepath.Join(tdir, "status")); err == nil {
			if v := statusField(ts, "voluntary_ctxt_switches"); v > 0 {
				s.CtxSwitches += uint64(v)
			}
			if v := statusField(ts, "nonvoluntary_ctxt_switches"); v > 0 {
				s.CtxSwitches += uint64(v)
			}
		}
		if tst, err := os.ReadFile(filepath.Join(tdir, "stat")); err == nil {
			if comm, u, k, err := statTimes(tst); err == nil {
				s.PerThread = append(s.PerThread, ThreadCPU{TID: tid, Name: comm, CPU: ticks(u + k)})
			}
		}
	}
	sort.Slice(s.PerThread, func(i, j int) bool { return s.PerThread[i].TID < s.PerThread[j].TID })
	return s, nil
}

// ThreadDeltas returns, for each thread alive in both samples, the CPU it
// used between before and after, busiest first. Threads that started after
// before count from zero.
func ThreadDeltas(before, after Sample) []ThreadCPU {
	prev := map[int]time.Duration{}
	for _, th := range before.PerThread {
		prev[th.TID] = th.CPU
	}
	var out []ThreadCPU
	for _, th := range after.PerThread {
		out = append(out, ThreadCPU{TID: th.TID, Name: th.Name, CPU: th.CPU - prev[th.TID]})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CPU > out[j].CPU })
	return out
}

// FindPIDs returns the pids of the processes whose argv (from
// /proc/PID/cmdline) satisfies match, in ascending order.
func FindPIDs(match func(argv []string) bool) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(b) == 0 {
			continue
		}
		argv := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if match(argv) {
			pids = append(pids, pid)
		}
	}
	sort.Ints(pids)
	return pids
}
