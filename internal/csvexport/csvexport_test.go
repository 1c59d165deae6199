package csvexport

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"=SUM(A1)", "'=SUM(A1)"},
		{"+ cher", "'+ cher"},
		{"-chose", "'-chose"},
		{"@x", "'@x"},
		{"\tcmd", "'\tcmd"},
		{"\rcmd", "'\rcmd"},
		{"-12.5", "-12.5"},
		{"-12,5", "-12,5"},
		{"+3", "+3"},
		{"+33612345678", "+33612345678"},
		{"+0612345678", "+0612345678"}, // a plain number all the same
		{"+33 6 12 34 56 78", "'+33 6 12 34 56 78"},
		{"-", "'-"},
		{"+", "'+"},
		{"-1e5", "'-1e5"},
		{"=1+1", "'=1+1"},
		{"Mélanie", "Mélanie"},
		{"42", "42"},
		{"", ""},
		{" =SUM(A1)", " =SUM(A1)"},
	}
	for _, tt := range tests {
		if got := Cell(tt.in); got != tt.want {
			t.Errorf("Cell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWriterBytes(t *testing.T) {
	var b bytes.Buffer
	w, err := NewWriter(&b, []string{"Date", "Interlocuteur", "Motif"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range [][]string{{"2026-11-23 09:12", "Mélanie LOUBET", "=SUM(A1)"}, {"-12.5", "+33612345678", "a;b\nc"}} {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "\xef\xbb\xbfDate;Interlocuteur;Motif\n" +
		"2026-11-23 09:12;M\xc3\xa9lanie LOUBET;'=SUM(A1)\n" +
		"-12.5;+33612345678;\"a;b\nc\"\n"
	if got := b.String(); got != want {
		t.Fatalf("bytes\n%q\nwant\n%q", got, want)
	}
}

// flushRecorder records how many bytes had reached it at each Flush.
type flushRecorder struct {
	bytes.Buffer
	flushedAt []int
}

func (f *flushRecorder) Flush() { f.flushedAt = append(f.flushedAt, f.Len()) }

func TestStreamFlushesEachBatch(t *testing.T) {
	var dst flushRecorder
	w, err := NewWriter(&dst, []string{"n"})
	if err != nil {
		t.Fatal(err)
	}
	const batches, size = 3, 500
	calls := 0
	err = Stream(w, func(cursor string) (Batch, error) {
		if cursor != strconv.Itoa(calls*size) && !(calls == 0 && cursor == "") {
			t.Fatalf("call %d got cursor %q", calls, cursor)
		}
		// Each batch must have reached the destination before the next is read.
		if calls > 0 && len(dst.flushedAt) != calls {
			t.Fatalf("batch %d read before batch %d was flushed", calls, calls-1)
		}
		var b Batch
		for i := range size {
			b.Rows = append(b.Rows, []string{strconv.Itoa(calls*size + i)})
		}
		calls++
		if calls < batches {
			b.Next = strconv.Itoa(calls * size)
		}
		return b, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dst.flushedAt) != batches {
		t.Fatalf("%d flushes, want one per batch (%d)", len(dst.flushedAt), batches)
	}
	for i := 1; i < len(dst.flushedAt); i++ {
		if dst.flushedAt[i] <= dst.flushedAt[i-1] {
			t.Fatalf("flush %d wrote nothing new: %v", i, dst.flushedAt)
		}
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(dst.String(), BOM)))
	r.Comma = Separator
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != batches*size+1 {
		t.Fatalf("%d rows, want %d", len(rows), batches*size+1)
	}
	for i, row := range rows[1:] {
		if row[0] != strconv.Itoa(i) {
			t.Fatalf("row %d is %q: out of order", i, row[0])
		}
	}
}

func TestStreamStopsOnError(t *testing.T) {
	var b bytes.Buffer
	w, _ := NewWriter(&b, []string{"n"})
	boom := errors.New("database gone")
	err := Stream(w, func(cursor string) (Batch, error) {
		if cursor == "" {
			return Batch{Rows: [][]string{{"1"}}, Next: "x"}, nil
		}
		return Batch{}, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want %v", err, boom)
	}
}

func TestFilename(t *testing.T) {
	day := time.Date(2026, 11, 23, 23, 30, 0, 0, time.UTC)
	if got := Filename("calls", day); got != "calls-2026-11-23.csv" {
		t.Fatal(got)
	}
}
