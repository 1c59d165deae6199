package mailparse

import (
	"regexp"
	"strings"
)

// Reply headers that mail clients put above the quoted history.
var (
	// attribution: "On Mon, 2 Mar 2026 at 10:12, Jean <j@x.fr> wrote:",
	// "Le lun. 2 mars 2026 à 10:12, Jean <j@x.fr> a écrit :", which Gmail
	// wraps over two or three lines.
	attribution = regexp.MustCompile(`(?i)^(on|le)\s.{0,400}\s(wrote|a\s+écrit)\s*:$`)
	// separator: Outlook's and others' "-----Original Message-----" lines.
	separator = regexp.MustCompile(`(?i)^-{2,}\s*(original message|message d'origine|message d’origine|mensaje original|ursprüngliche nachricht)\s*-{2,}$`)
	// underline: the rule Outlook writes above its reply header in text.
	underline = regexp.MustCompile(`^_{10,}$`)
	// fromField and sentField: Outlook's reply header ("De : … Envoyé :
	// …"), in English or French, possibly in bold (*De :*).
	fromField = regexp.MustCompile(`(?i)^\*?(from|de)\s?:\*?\s`)
	sentField = regexp.MustCompile(`(?i)^\*?(sent|envoyé|date)\s?:\*?\s`)
)

// excerpt returns text without its quoted history: everything from a reply
// header on when what follows is history, then trailing quoted ('>') lines
// and the attribution above them. Text that is all history (a forward)
// is returned whole.
func excerpt(text string) string {
	lines := strings.Split(noBreakSpaces.Replace(text), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\r")
	}
	if i := historyStart(lines); i >= 0 {
		lines = lines[:i]
	}
	lines = trimTrailingQuote(lines)
	if out := strings.TrimSpace(strings.Join(lines, "\n")); out != "" {
		return out
	}
	return strings.TrimSpace(text)
}

// noBreakSpaces replaces the no-break spaces French typography puts
// before ':' by plain spaces, for the patterns.
var noBreakSpaces = strings.NewReplacer("\u00a0", " ", "\u202f", " ")

// historyStart returns the index of the line where quoted history begins,
// -1 when none is found.
func historyStart(lines []string) int {
	triedAttribution := false
	for i := range lines {
		l := strings.TrimSpace(lines[i])
		switch {
		case separator.MatchString(l):
			return i
		case underline.MatchString(l) && i+1 < len(lines) && fromField.MatchString(strings.TrimSpace(lines[i+1])):
			return i
		case fromField.MatchString(l) && sentFieldFollows(lines[i+1:]):
			return i
		}
		if triedAttribution || !startsAttribution(l) {
			continue
		}
		if n := attributionLines(lines[i:]); n > 0 {
			// Only one attribution is weighed: each costs a scan of what
			// follows.
			triedAttribution = true
			if followedByHistory(lines[i+n:]) {
				return i
			}
		}
	}
	return -1
}

func startsAttribution(l string) bool {
	return len(l) > 3 && (strings.EqualFold(l[:3], "on ") || strings.EqualFold(l[:3], "le "))
}

// attributionLines returns how many lines (1 to 3) form an attribution
// starting at lines[0], 0 when they form none.
func attributionLines(lines []string) int {
	joined := ""
	for n := 1; n <= 3 && n <= len(lines); n++ {
		joined = strings.TrimSpace(joined + " " + strings.TrimSpace(lines[n-1]))
		if attribution.MatchString(joined) {
			return n
		}
	}
	return 0
}

func sentFieldFollows(lines []string) bool {
	for _, l := range lines[:min(len(lines), 4)] {
		if sentField.MatchString(strings.TrimSpace(l)) {
			return true
		}
	}
	return false
}

// followedByHistory tells an attribution above a quote (all lines after it
// quoted, or none quoted as when rendered from HTML) from one above an
// interleaved answer, which is kept.
func followedByHistory(lines []string) bool {
	quoted, plain := 0, 0
	for _, l := range lines {
		switch l = strings.TrimSpace(l); {
		case l == "--":
			return quoted == 0 || plain == 0 // a signature follows the quote
		case l == "":
		case strings.HasPrefix(l, ">"):
			quoted++
		default:
			plain++
		}
	}
	return quoted == 0 || plain == 0
}

// trimTrailingQuote drops the trailing quoted and blank lines, and the
// attribution left above them.
func trimTrailingQuote(lines []string) []string {
	end := len(lines)
	quoted := false
	for end > 0 {
		l := strings.TrimSpace(lines[end-1])
		if l != "" && !strings.HasPrefix(l, ">") {
			break
		}
		quoted = quoted || l != ""
		end--
	}
	if !quoted {
		return lines
	}
	for n := 1; n <= 3 && n <= end; n++ {
		if startsAttribution(strings.TrimSpace(lines[end-n])) && attributionLines(lines[end-n:end]) == n {
			return lines[:end-n]
		}
	}
	return lines[:end]
}
