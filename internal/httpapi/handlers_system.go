package httpapi

import (
	"bytes"
	"context"
	"time"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/guichet"
)

// GetHealth answers as long as the process serves.
func (s *Server) GetHealth(ctx context.Context, _ api.GetHealthRequestObject) (api.GetHealthResponseObject, error) {
	return api.GetHealth200JSONResponse{Status: api.HealthStatusOk}, nil
}

// GetReadiness checks the database and the job queue.
func (s *Server) GetReadiness(ctx context.Context, _ api.GetReadinessRequestObject) (api.GetReadinessResponseObject, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.svc.Health.Ping(ctx); err != nil {
		return nil, &guichet.Error{Code: guichet.EUNAVAILABLE, Message: "the database is unavailable", RetryAfter: 5 * time.Second}
	}
	if !s.svc.Health.JobsRunning() {
		return nil, &guichet.Error{Code: guichet.EUNAVAILABLE, Message: "the job queue is not running", RetryAfter: 5 * time.Second}
	}
	checks := map[string]string{"database": "ok", "jobs": "ok"}
	return api.GetReadiness200JSONResponse{Status: api.HealthStatusOk, Checks: &checks}, nil
}

// GetOpenAPI serves the contract.
func (s *Server) GetOpenAPI(ctx context.Context, _ api.GetOpenAPIRequestObject) (api.GetOpenAPIResponseObject, error) {
	return api.GetOpenAPI200ApplicationyamlResponse{Body: bytes.NewReader(s.spec), ContentLength: int64(len(s.spec))}, nil
}
