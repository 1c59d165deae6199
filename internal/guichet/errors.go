package guichet

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies an error for the caller; the HTTP layer maps each code to
// one status in a single table.
type Code string

const (
	EBADREQUEST          Code = "bad_request"           // malformed request
	EUNAUTHORIZED        Code = "unauthorized"          // no or bad credentials
	EFORBIDDEN           Code = "forbidden"             // roles or scopes refuse
	ENOTFOUND            Code = "not_found"             // no such thing, or not visible
	ECONFLICT            Code = "conflict"              // clashes with the current state
	EDUPLICATE           Code = "duplicate"             // looks like an existing record
	EPRECONDITION        Code = "stale"                 // If-Match does not match
	EPRECONDITIONMISSING Code = "precondition_required" // If-Match is required
	ETOOLARGE            Code = "too_large"             // body over the limit
	EINVALID             Code = "invalid"               // refused by a business rule
	ERATELIMITED         Code = "rate_limited"          // slow down
	EUNAVAILABLE         Code = "unavailable"           // a dependency is down
	EINTERNAL            Code = "internal"              // a bug or an unexpected failure
)

// FieldError names one bad field of a request.
type FieldError struct {
	Field   string
	Message string
}

// Error is the one error type that crosses layers. Message is shown to the
// caller; wrap internal causes with fmt.Errorf instead.
type Error struct {
	Code       Code
	Message    string
	Fields     []FieldError
	Duplicates []DuplicateMatch
	// RetryAfter, when set, tells the caller how long to wait (429, 503).
	RetryAfter time.Duration
	// Resource names a created resource, for retries that cannot be replayed.
	Resource string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error naming one field.
func Invalid(field, message string) *Error {
	return &Error{Code: EINVALID, Message: field + ": " + message, Fields: []FieldError{{Field: field, Message: message}}}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-facing message of err; internal errors
// get a generic text so that no detail leaks.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "an internal error occurred"
}
