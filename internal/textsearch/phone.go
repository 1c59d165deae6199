package textsearch

import (
	"slices"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// frenchPlan lists the regions that share the French ten-digit national
// numbering plan: from any of them, "0692 12 34 56" reaches Réunion and
// "06 12 34 56 78" mainland France. Overseas regions come first because their
// metadata is narrower: FR metadata also accepts some overseas ranges
// ("02 69" is Mayotte) as +33 numbers. Saint-Pierre-et-Miquelon (+508) and
// the Pacific territories have plans of their own.
var frenchPlan = []string{"RE", "YT", "GP", "MQ", "GF", "BL", "MF", "FR"}

// NormalizePhone parses raw as a phone number dialled from defaultRegion (an
// ISO 3166 code such as "FR") and returns it in E.164 form ("+33612345678").
// A number in national form is tried against every region of the national
// plan of defaultRegion, so that "0692 12 34 56" dialled from France gives
// the Réunion number +262692123456. The first region where it is valid wins
// (defaultRegion first, except that FR comes after the overseas regions);
// failing that, a number merely possible in defaultRegion (a range newer than
// the metadata) is accepted. ok is false for anything else. NormalizePhone
// gives back its own results unchanged.
func NormalizePhone(raw, defaultRegion string) (e164 string, ok bool) {
	region := strings.ToUpper(strings.TrimSpace(defaultRegion))
	for _, r := range planRegions(region) {
		if n, err := phonenumbers.Parse(raw, r); err == nil && phonenumbers.IsValidNumber(n) {
			return formatE164(n)
		}
	}
	n, err := phonenumbers.Parse(raw, region)
	if err != nil || !phonenumbers.IsPossibleNumber(n) {
		return "", false
	}
	return formatE164(n)
}

// formatE164 returns n in E.164 form, and false when that form would not
// parse back to itself: for some merely possible numbers, such as
// "0000000000" in BA, parsing the E.164 form strips a national prefix again,
// and NormalizePhone must give back an E.164 number unchanged.
func formatE164(n *phonenumbers.PhoneNumber) (string, bool) {
	e164 := phonenumbers.Format(n, phonenumbers.E164)
	again, err := phonenumbers.Parse(e164, "ZZ")
	if err != nil || phonenumbers.Format(again, phonenumbers.E164) != e164 {
		return "", false
	}
	return e164, true
}

// planRegions returns the regions to try for a number dialled from region:
// region itself, then the other regions of its national plan, FR last (see
// frenchPlan).
func planRegions(region string) []string {
	if !slices.Contains(frenchPlan, region) {
		return []string{region}
	}
	var out []string
	if region != "FR" {
		out = append(out, region)
	}
	for _, r := range frenchPlan {
		if r != region {
			out = append(out, r)
		}
	}
	return out
}

// planCountryCodes returns the country calling codes reachable by national
// dialling from region.
func planCountryCodes(region string) []int {
	regions := []string{region}
	if slices.Contains(frenchPlan, region) {
		regions = frenchPlan
	}
	var codes []int
	for _, r := range regions {
		codes = append(codes, phonenumbers.GetCountryCodeForRegion(r))
	}
	return codes
}

// PhoneTokens returns the index tokens for a number in E.164 form: its
// digits without the '+' ("33612345678"), then, when the number can be
// dialled nationally from region, the digits of its national form with the
// trunk prefix ("0612345678"). For a number of another plan, or an e164 that
// does not parse, only the digits are returned; nil when there are none.
func PhoneTokens(e164 string, region string) []string {
	tokens := []string{digits(e164)}
	region = strings.ToUpper(strings.TrimSpace(region))
	n, err := phonenumbers.Parse(e164, region)
	if err == nil && slices.Contains(planCountryCodes(region), int(n.GetCountryCode())) {
		tokens = append(tokens, digits(phonenumbers.Format(n, phonenumbers.NATIONAL)))
	}
	return truncateAll(tokens)
}

// digits returns the ASCII digits of s, in order.
func digits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			b.WriteByte(c)
		}
	}
	return b.String()
}
