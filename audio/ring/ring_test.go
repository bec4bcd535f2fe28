package ring

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestCapacityRoundsUpToPowerOfTwo(t *testing.T) {
	for _, c := range []struct{ in, want int }{{0, 2}, {1, 2}, {3, 4}, {960, 1024}, {1024, 1024}} {
		if got := New(c.in).Cap(); got != c.want {
			t.Errorf("New(%d).Cap() = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestWriteReadWrapsAround(t *testing.T) {
	b := New(8)
	out := make([]int16, 5)
	next := int16(0)
	want := int16(0)
	// 5-sample writes and reads on an 8-slot ring cross the end repeatedly.
	for round := 0; round < 20; round++ {
		in := make([]int16, 5)
		for i := range in {
			in[i] = next
			next++
		}
		if n := b.Write(in); n != 5 {
			t.Fatalf("round %d: Write = %d, want 5", round, n)
		}
		if b.Len() != 5 || b.Free() != 3 {
			t.Fatalf("round %d: Len %d Free %d", round, b.Len(), b.Free())
		}
		if n := b.Read(out); n != 5 {
			t.Fatalf("round %d: Read = %d", round, n)
		}
		for i, v := range out {
			if v != want {
				t.Fatalf("round %d: out[%d] = %d, want %d", round, i, v, want)
			}
			want++
		}
	}
	if b.Overruns() != 0 || b.Underruns() != 0 {
		t.Fatalf("counters %d/%d, want 0/0", b.Overruns(), b.Underruns())
	}
	if b.Written() != 100 || b.Consumed() != 100 {
		t.Fatalf("totals %d/%d", b.Written(), b.Consumed())
	}
}

func TestOverrunDropsAndCounts(t *testing.T) {
	b := New(4)
	if n := b.Write([]int16{1, 2, 3}); n != 3 {
		t.Fatal(n)
	}
	if n := b.Write([]int16{4, 5, 6}); n != 1 {
		t.Fatalf("Write into 1 free slot = %d", n)
	}
	if b.Overruns() != 2 {
		t.Fatalf("Overruns = %d, want 2", b.Overruns())
	}
	out := make([]int16, 4)
	if n := b.Read(out); n != 4 || out[3] != 4 {
		t.Fatalf("Read = %d %v, want oldest samples kept", n, out)
	}
}

func TestUnderrunAndReadFullSilence(t *testing.T) {
	b := New(8)
	b.Write([]int16{7, 8})
	out := []int16{-1, -1, -1, -1, -1}
	if n := b.ReadFull(out); n != 2 {
		t.Fatalf("ReadFull = %d, want 2", n)
	}
	if want := []int16{7, 8, 0, 0, 0}; !slices.Equal(out, want) {
		t.Fatalf("ReadFull filled %v, want %v", out, want)
	}
	if b.Underruns() != 3 {
		t.Fatalf("Underruns = %d, want 3", b.Underruns())
	}
	short := []int16{-1, -1}
	if n := b.Read(short); n != 0 || short[0] != -1 {
		t.Fatalf("Read on empty = %d %v, want 0 and p untouched", n, short)
	}
	if b.Underruns() != 5 {
		t.Fatalf("Underruns = %d, want 5", b.Underruns())
	}
}

func TestDiscard(t *testing.T) {
	b := New(8)
	b.Write([]int16{1, 2, 3, 4})
	if n := b.Discard(3); n != 3 {
		t.Fatal(n)
	}
	if n := b.Discard(9); n != 1 {
		t.Fatalf("Discard past end = %d, want 1", n)
	}
	if b.Len() != 0 {
		t.Fatal(b.Len())
	}
}

func TestNoAllocations(t *testing.T) {
	b := New(1024)
	in := make([]int16, 160)
	out := make([]int16, 200)
	allocs := testing.AllocsPerRun(100, func() {
		b.Write(in)
		b.ReadFull(out)
		b.Read(out)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per Write/Read", allocs)
	}
}

// TestConcurrentOrder runs a producer and consumer goroutine against a small
// ring; under -race this also proves the data accesses are ordered by the
// atomics. The consumer checks every sample arrives once, in order.
func TestConcurrentOrder(t *testing.T) {
	const total = 200_000
	b := New(64)
	done := make(chan error, 1)
	go func() {
		out := make([]int16, 7)
		want := 0
		for want < total {
			n := b.Read(out)
			for _, v := range out[:n] {
				if v != int16(want) {
					done <- errf("sample %d = %d", want, v)
					return
				}
				want++
			}
		}
		done <- nil
	}()
	deadline := time.Now().Add(20 * time.Second)
	in := make([]int16, 5)
	for sent := 0; sent < total; {
		m := min(len(in), total-sent)
		for i := range in[:m] {
			in[i] = int16(sent + i)
		}
		if b.Free() < m { // producer waits for room instead of overrunning
			if time.Now().After(deadline) {
				t.Fatal("producer timed out")
			}
			continue
		}
		sent += b.Write(in[:m])
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("consumer timed out")
	}
	if b.Overruns() != 0 {
		t.Fatalf("Overruns = %d", b.Overruns())
	}
}

func BenchmarkWriteRead20ms48k(b *testing.B) {
	r := New(4096)
	in := make([]int16, 960)
	out := make([]int16, 960)
	b.SetBytes(960 * 2)
	for b.Loop() {
		r.Write(in)
		r.Read(out)
	}
}

func errf(format string, a ...any) error { return fmt.Errorf(format, a...) }
