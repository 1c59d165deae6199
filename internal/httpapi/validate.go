package httpapi

import (
	"sync"

	"errors"
	"fmt"
	"github.com/google/uuid"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
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

func (v *validator) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		route, params, err := v.router.FindRoute(req)
		if err != nil {
			if errors.Is(err, routers.ErrMethodNotAllowed) {
				return echo.ErrMethodNotAllowed
			}
			return echo.ErrNotFound
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: validationOptions}
		if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
			return validationError(err)
		}
		return next(c)
	}
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
	var multi openapi3.MultiError
	if errors.As(err, &multi) {
		for _, e := range multi {
			collectFieldErrors(e, prefix, out)
		}
		return
	}
	var re *openapi3filter.RequestError
	if errors.As(err, &re) {
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
		*out = append(*out, guichet.FieldError{Field: field, Message: se.Reason})
		return
	}
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i > 0 {
		msg = msg[:i]
	}
	*out = append(*out, guichet.FieldError{Field: prefix, Message: msg})
}
