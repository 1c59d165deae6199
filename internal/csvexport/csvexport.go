// Package csvexport writes CSV files that spreadsheets open as meant: UTF-8
// with a byte-order mark (so that Excel reads French accents), separated
// by semicolons (the list separator of a French spreadsheet), and cells
// that a spreadsheet would run as a formula neutralised. Rows end in LF:
// encoding/csv's CRLF mode would drop a carriage return inside a cell.
// It streams: rows go to the destination batch by batch, never held whole.
package csvexport

import (
	"encoding/csv"
	"io"
	"regexp"
	"time"
)

// BOM is the UTF-8 byte-order mark written first.
const BOM = "\ufeff"

// ContentType is the media type of the files.
const ContentType = "text/csv; charset=utf-8"

// Separator separates cells.
const Separator = ';'

var (
	plainNumber = regexp.MustCompile(`^[+-]?[0-9]+([.,][0-9]+)?$`)
	e164        = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
)

// Cell neutralises a cell that a spreadsheet would take as a formula (CSV
// injection): one starting with '=', '+', '-', '@', a tab or a carriage
// return gets a leading single quote. Plain numbers (-12.5) and E.164 phone
// numbers (+33612345678) are left as they are.
func Cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if plainNumber.MatchString(s) || e164.MatchString(s) {
			return s
		}
		return "'" + s
	}
	return s
}

// Flusher is a destination that can push what it buffered to the client
// (an http.ResponseWriter).
type Flusher interface {
	Flush()
}

// Writer writes one CSV file.
type Writer struct {
	dst io.Writer
	csv *csv.Writer
	row []string
}

// NewWriter writes the BOM and the header row to dst.
func NewWriter(dst io.Writer, header []string) (*Writer, error) {
	if _, err := io.WriteString(dst, BOM); err != nil {
		return nil, err
	}
	c := csv.NewWriter(dst)
	c.Comma = Separator
	w := &Writer{dst: dst, csv: c}
	return w, w.Write(header)
}

// Write writes one row, each cell neutralised (Cell).
func (w *Writer) Write(record []string) error {
	w.row = w.row[:0]
	for _, cell := range record {
		w.row = append(w.row, Cell(cell))
	}
	return w.csv.Write(w.row)
}

// Flush sends the buffered rows to the destination, and on to the client
// when the destination is a Flusher.
func (w *Writer) Flush() error {
	w.csv.Flush()
	if err := w.csv.Error(); err != nil {
		return err
	}
	if f, ok := w.dst.(Flusher); ok {
		f.Flush()
	}
	return nil
}

// Batch is one batch of rows and the cursor of the next ("" after the
// last).
type Batch struct {
	Rows [][]string
	Next string
}

// Stream writes the batches that next returns, from cursor "" until one
// has no next cursor, flushing after each: a large book streams with one
// batch in memory at a time.
func Stream(w *Writer, next func(cursor string) (Batch, error)) error {
	cursor := ""
	for {
		b, err := next(cursor)
		if err != nil {
			return err
		}
		for _, r := range b.Rows {
			if err := w.Write(r); err != nil {
				return err
			}
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if b.Next == "" {
			return nil
		}
		cursor = b.Next
	}
}

// Filename names an export of a book on a day: calls-2026-11-23.csv.
func Filename(book string, day time.Time) string {
	return book + "-" + day.Format("2006-01-02") + ".csv"
}
