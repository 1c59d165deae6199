package main

import (
	"strings"
	"testing"
	"testing/iotest"
)

// The BOM and the line ends are found whatever the reads' sizes.
func TestCountLinesReadsTheBOMAcrossReads(t *testing.T) {
	t.Parallel()
	body := "\xEF\xBB\xBFDate;Agent\n2026-11-23 10:12;Accueil\n2026-11-23 10:15;Accueil\n"
	var n int64
	lines, head, err := countLines(iotest.OneByteReader(strings.NewReader(body)), &n)
	if err != nil {
		t.Fatal(err)
	}
	if lines != 3 || string(head) != "\xEF\xBB\xBF" || n != int64(len(body)) {
		t.Errorf("lines %d, head %q, %d bytes; want 3, the BOM, %d", lines, head, n, len(body))
	}
}

func TestParseFlagsReception(t *testing.T) {
	t.Parallel()
	env := func(string) string { return "" }
	opts, err := parseFlags([]string{"-phases", "reception", "-calls", "2000", "-messages", "300", "-backends", "sqlite"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if !opts.phases["reception"] || opts.phases["tickets"] || opts.calls != 2000 || opts.messages != 300 {
		t.Errorf("phases %v, calls %d, messages %d", opts.phases, opts.calls, opts.messages)
	}
	if opts, _ := parseFlags(nil, env); !opts.phases["reception"] || opts.calls != 100_000 || opts.messages != 10_000 {
		t.Errorf("defaults: phases %v, calls %d, messages %d; want reception, 100,000 and 10,000", opts.phases, opts.calls, opts.messages)
	}
	for _, bad := range [][]string{{"-phases", "accueil"}, {"-calls", "-1"}, {"-messages", "-1"}} {
		if _, err := parseFlags(bad, env); err == nil {
			t.Errorf("parseFlags(%q) accepted", bad)
		}
	}
}
