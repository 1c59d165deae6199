package procedure

import "testing"

// The shipped definitions are valid: Guichet seeds them at every start.
func TestShippedDefinitionsAreValid(t *testing.T) {
	t.Parallel()
	defs, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	if len(defs) != 2 || defs[0].Code != "assistance" || defs[1].Code != "travaux" {
		t.Fatalf("shipped = %d definitions", len(defs))
	}
}
