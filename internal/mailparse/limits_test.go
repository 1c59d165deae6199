package mailparse

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// repeatReader yields line n times, never holding more than line.
type repeatReader struct {
	line []byte
	n    int
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	written := 0
	for written < len(p) && r.n > 0 {
		c := copy(p[written:], r.line[r.off:])
		written += c
		r.off += c
		if r.off == len(r.line) {
			r.off = 0
			r.n--
		}
	}
	if written == 0 {
		return 0, io.EOF
	}
	return written, nil
}

// bigMessage streams a message whose base64 attachment makes it about
// size bytes.
func bigMessage(size int) io.Reader {
	head := "From: Jean <jean@exemple.fr>\r\nSubject: scan\r\nMessage-ID: <big@exemple.fr>\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nci-joint\r\n" +
		"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=scan.pdf\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n"
	line := []byte(strings.Repeat("QUJD", 19) + "\r\n")
	return io.MultiReader(strings.NewReader(head), &repeatReader{line: line, n: size / len(line)}, strings.NewReader("--b--\r\n"))
}

// discardSink stores nothing, as a sink writing to disk holds nothing.
type discardSink struct{ n int64 }

func (s *discardSink) Put(_ PartInfo, r io.Reader) (string, int64, error) {
	n, err := io.Copy(io.Discard, r)
	s.n += n
	return "discarded", n, err
}

func TestParseHugeMessageIsQuarantinedWithoutBeingHeld(t *testing.T) {
	sink := &discardSink{}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := Parse(bigMessage(60<<20), Limits{MaxBytes: 50 << 20}, sink)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)

	var q *QuarantineError
	if !errors.As(err, &q) || q.Reason != ReasonTooLarge || q.Limit != 50<<20 {
		t.Fatalf("err = %v, want a %s QuarantineError", err, ReasonTooLarge)
	}
	if q.Headers["Subject"] != "scan" || q.Headers["Message-ID"] != "<big@exemple.fr>" {
		t.Errorf("Headers = %v, want those read before stopping", q.Headers)
	}
	// Streamed: the sink saw the attachment go by, and the heap did not
	// grow with it (TotalAlloc counts every allocation, freed or not).
	if sink.n < 30<<20 {
		t.Errorf("sink got %d bytes, want the attachment streamed up to the limit", sink.n)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("allocated %d MiB to read a 60 MB message", alloc>>20)
	}
	t.Logf("60 MB message quarantined in %v, %d KiB allocated", elapsed, (after.TotalAlloc-before.TotalAlloc)>>10)
}

func TestParseMaxBytesIsInclusive(t *testing.T) {
	t.Parallel()
	raw := "Subject: x\n\n" + strings.Repeat("a", 100)
	if _, err := Parse(strings.NewReader(raw), Limits{MaxBytes: int64(len(raw))}, nil); err != nil {
		t.Errorf("a message of exactly MaxBytes: %v", err)
	}
	var q *QuarantineError
	_, err := Parse(strings.NewReader(raw+"b"), Limits{MaxBytes: int64(len(raw))}, nil)
	if !errors.As(err, &q) || q.Reason != ReasonTooLarge {
		t.Errorf("one byte more: err = %v, want %s", err, ReasonTooLarge)
	}
}

func TestParseBombsAreQuarantinedQuickly(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"bomb-deep.eml": ReasonTooDeep,
		"bomb-wide.eml": ReasonTooManyParts,
	}
	for name, reason := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			_, err := Parse(bytes.NewReader(readFixture(t, name)), Limits{}, &memSink{})
			var q *QuarantineError
			if !errors.As(err, &q) || q.Reason != reason {
				t.Fatalf("err = %v, want %s", err, reason)
			}
			if q.Headers["From"] != "bomb@exemple.fr" {
				t.Errorf("Headers = %v", q.Headers)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestParseHeaderBombs(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 3<<20)
	tests := map[string]io.Reader{
		"TopLevelLine":    strings.NewReader("Subject: " + long + "\n\nbody"),
		"TopLevelFolded":  &repeatReader{line: []byte(" folded continuation line\n"), n: 200000},
		"PartHeader":      strings.NewReader("Content-Type: multipart/mixed; boundary=b\n\n--b\nX-Junk: " + long + "\n\nbody\n--b--\n"),
		"EndlessPreamble": io.MultiReader(strings.NewReader("Content-Type: multipart/mixed; boundary=b\n\n"), &repeatReader{line: []byte("preamble line\n"), n: 300000}),
	}
	for name, r := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if name == "TopLevelFolded" {
				r = io.MultiReader(strings.NewReader("Subject: x\nX-Long: start\n"), r)
			}
			_, err := Parse(r, Limits{}, nil)
			var q *QuarantineError
			if !errors.As(err, &q) || q.Reason != ReasonHeaderTooLarge {
				t.Fatalf("err = %v, want %s", err, ReasonHeaderTooLarge)
			}
		})
	}
}

func TestParseBodyTextIsTruncated(t *testing.T) {
	t.Parallel()
	raw := "Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain; charset=iso-8859-1\n\n" +
		strings.Repeat("\xe9", 3000) + "\n--b\nContent-Type: text/html\n\n<p>" + strings.Repeat("a", 3000) + "</p>\n--b--\n"
	m, err := Parse(strings.NewReader(raw), Limits{MaxBodyText: 1001}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// é is two bytes in UTF-8: 1001 bytes hold 500 of them.
	if !m.Truncated || m.Text != strings.Repeat("é", 500) {
		t.Errorf("Truncated = %v, Text has %d bytes", m.Truncated, len(m.Text))
	}
	if len(m.HTML) > 1001 {
		t.Errorf("HTML has %d bytes", len(m.HTML))
	}
}

func TestParseReadErrorIsReturned(t *testing.T) {
	t.Parallel()
	r := io.MultiReader(strings.NewReader("Subject: x\n\nbody"), iotest.ErrReader(iotest.ErrTimeout))
	_, err := Parse(r, Limits{}, nil)
	if !errors.Is(err, iotest.ErrTimeout) {
		t.Errorf("err = %v, want the reader's", err)
	}
	var q *QuarantineError
	if errors.As(err, &q) {
		t.Errorf("a read error is not a quarantine: %v", err)
	}
}

type failingSink struct{ err error }

func (s failingSink) Put(PartInfo, io.Reader) (string, int64, error) { return "", 0, s.err }

func TestParseSinkErrorIsReturned(t *testing.T) {
	t.Parallel()
	errFull := errors.New("disk full")
	_, err := Parse(bytes.NewReader(readFixture(t, "gmail.eml")), Limits{}, failingSink{errFull})
	if !errors.Is(err, errFull) || !strings.Contains(err.Error(), "image.png") {
		t.Errorf("err = %v, want the sink's, naming the attachment", err)
	}
}
