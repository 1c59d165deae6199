package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/guichet"
)

// validator checks requests against openapi.yaml before handlers run, so
// that a body missing required fields, with unknown fields or wrong types
// never reaches them. Authentication is our own middleware's job.
type validator struct {
	router routers.Router
}

var defineFormats sync.Once

func newValidator() (*validator, error) {
	defineFormats.Do(func() {
		openapi3.DefineStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail))
		openapi3.DefineStringFormatValidator("uuid", openapi3.NewCallbackValidator(func(s string) error {
			_, err := uuid.Parse(s)
			return err
		}))
	})
	spec, err := api.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("load contract: %w", err)
	}
	// Match any host: the servers list documents, it does not restrict.
	spec.Servers = nil
	router, err := legacy.NewRouter(spec)
	if err != nil {
		return nil, fmt.Errorf("contract router: %w", err)
	}
	return &validator{router: router}, nil
}

var validationOptions = &openapi3filter.Options{
	MultiError:         true,
	AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
}

// uploadValidationOptions check an upload's path and query, not its body,
// which is streamed to the blob store.
var uploadValidationOptions = &openapi3filter.Options{
	MultiError:         true,
	ExcludeRequestBody: true,
	AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
}

func (v *validator) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		route, params, err := v.router.FindRoute(req)
		if err != nil {
			// The legacy router answers a *RouteError that only copies the
			// sentinel's text.
			var re *routers.RouteError
			if errors.Is(err, routers.ErrMethodNotAllowed) ||
				errors.As(err, &re) && re.Reason == routers.ErrMethodNotAllowed.Error() {
				return echo.ErrMethodNotAllowed
			}
			return echo.ErrNotFound
		}
		if err := checkJSONSyntax(req); err != nil {
			return err
		}
		opts := validationOptions
		if isUpload(req) {
			opts = uploadValidationOptions
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
		if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
			return validationError(err)
		}
		return next(c)
	}
}

// checkJSONSyntax refuses a JSON body that is not exactly one JSON value:
// the decoders after it stop at the end of the first value and would
// silently ignore what follows ({"a":1} {"b":2}).
func checkJSONSyntax(req *http.Request) error {
	if req.Body == nil || req.Body == http.NoBody {
		return nil
	}
	if mt, _, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType)); mt != echo.MIMEApplicationJSON {
		return nil
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	if len(body) > 0 && !json.Valid(body) {
		return &guichet.Error{Code: guichet.EBADREQUEST, Message: "the request body is not one valid JSON value",
			Fields: []guichet.FieldError{{Field: "body", Message: "invalid JSON"}}}
	}
	return nil
}

// validationError lists every bad field of a request as EBADREQUEST.
func validationError(err error) error {
	var fields []guichet.FieldError
	collectFieldErrors(err, "body", &fields)
	if len(fields) == 0 {
		fields = append(fields, guichet.FieldError{Field: "request", Message: err.Error()})
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return &guichet.Error{Code: guichet.EBADREQUEST, Message: "the request does not match the contract: " + strings.Join(parts, "; "), Fields: fields}
}

// collectFieldErrors flattens kin-openapi's nested errors into one field
// error each; prefix names where the value came from ("body", "query.limit").
func collectFieldErrors(err error, prefix string, out *[]guichet.FieldError) {
	// A RequestError unwraps to its MultiError: look at it first, or
	// errors.As would skip it and lose the parameter's name.
	re, isRequest := err.(*openapi3filter.RequestError)
	var multi openapi3.MultiError
	if !isRequest && errors.As(err, &multi) {
		for _, e := range multi {
			collectFieldErrors(e, prefix, out)
		}
		return
	}
	if isRequest || errors.As(err, &re) {
		p := "body"
		if re.Parameter != nil {
			p = re.Parameter.In + "." + re.Parameter.Name
		}
		if re.Err == nil {
			*out = append(*out, guichet.FieldError{Field: p, Message: re.Reason})
			return
		}
		collectFieldErrors(re.Err, p, out)
		return
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		field := prefix
		if ptr := se.JSONPointer(); len(ptr) > 0 {
			field += "." + strings.Join(ptr, ".")
		}
		// kin-openapi reports an unknown property on its parent object and
		// names it only in the reason; the contract names the field itself.
		var unknown string
		if _, err := fmt.Sscanf(se.Reason, "property %q is unsupported", &unknown); err == nil && unknown != "" {
			*out = append(*out, guichet.FieldError{Field: field + "." + unknown, Message: "unknown field"})
			return
		}
		*out = append(*out, guichet.FieldError{Field: field, Message: se.Reason})
		return
	}
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i > 0 {
		msg = msg[:i]
	}
	*out = append(*out, guichet.FieldError{Field: prefix, Message: msg})
}
