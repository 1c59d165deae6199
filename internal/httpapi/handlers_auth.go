package httpapi

import (
	"context"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/guichet"
)

func tokenResponse(p guichet.TokenPair) api.TokenResponse {
	return api.TokenResponse{AccessToken: p.AccessToken, TokenType: api.Bearer,
		ExpiresIn: int(p.ExpiresIn.Seconds()), RefreshToken: p.RefreshToken}
}

// CreateToken logs in with a password.
func (s *Server) CreateToken(ctx context.Context, r api.CreateTokenRequestObject) (api.CreateTokenResponseObject, error) {
	pair, err := s.svc.Auth.Login(ctx, r.Body.Username, r.Body.Password, guichet.CallerFrom(ctx).IP)
	if err != nil {
		return nil, err
	}
	return api.CreateToken200JSONResponse(tokenResponse(pair)), nil
}

// RefreshToken rotates a refresh token.
func (s *Server) RefreshToken(ctx context.Context, r api.RefreshTokenRequestObject) (api.RefreshTokenResponseObject, error) {
	pair, err := s.svc.Auth.Refresh(ctx, r.Body.RefreshToken)
	if err != nil {
		return nil, err
	}
	return api.RefreshToken200JSONResponse(tokenResponse(pair)), nil
}

// Logout ends a session.
func (s *Server) Logout(ctx context.Context, r api.LogoutRequestObject) (api.LogoutResponseObject, error) {
	if err := s.svc.Auth.Logout(ctx, r.Body.RefreshToken); err != nil {
		return nil, err
	}
	return api.Logout204Response{}, nil
}

// GetMe returns the caller.
func (s *Server) GetMe(ctx context.Context, _ api.GetMeRequestObject) (api.GetMeResponseObject, error) {
	c := guichet.CallerFrom(ctx)
	me := api.Me{Agent: agentDTO(c.Agent), TokenKind: api.MeTokenKindAccess}
	if c.TokenID != "" {
		me.TokenKind = api.MeTokenKindApiToken
		scopes := make([]api.Scope, len(c.Scopes))
		for i, sc := range c.Scopes {
			scopes[i] = api.Scope(sc)
		}
		me.Scopes = &scopes
	}
	return api.GetMe200JSONResponse(me), nil
}

// ChangeMyPassword changes the caller's password.
func (s *Server) ChangeMyPassword(ctx context.Context, r api.ChangeMyPasswordRequestObject) (api.ChangeMyPasswordResponseObject, error) {
	if err := s.svc.Agents.ChangePassword(ctx, r.Body.CurrentPassword, r.Body.NewPassword); err != nil {
		return nil, err
	}
	return api.ChangeMyPassword204Response{}, nil
}

func apiTokenDTO(t guichet.APIToken) api.APIToken {
	out := api.APIToken{Id: parseUUID(t.ID), AgentId: parseUUID(t.AgentID), Name: t.Name, CreatedAt: t.CreatedAt, Scopes: []api.Scope{}}
	for _, sc := range t.Scopes {
		out.Scopes = append(out.Scopes, api.Scope(sc))
	}
	if t.ExpiresAt != nil {
		out.ExpiresAt.Set(*t.ExpiresAt)
	}
	if t.RevokedAt != nil {
		out.RevokedAt.Set(*t.RevokedAt)
	}
	return out
}

// CreateAPIToken creates a token for the caller; the secret is shown once.
func (s *Server) CreateAPIToken(ctx context.Context, r api.CreateAPITokenRequestObject) (api.CreateAPITokenResponseObject, error) {
	in := guichet.APIToken{Name: r.Body.Name, ExpiresAt: r.Body.ExpiresAt}
	for _, sc := range r.Body.Scopes {
		in.Scopes = append(in.Scopes, guichet.Scope(sc))
	}
	tok, secret, err := s.svc.Auth.CreateAPIToken(ctx, in)
	if err != nil {
		return nil, err
	}
	noteSecretResponse(ctx, "/api-tokens/"+tok.ID)
	d := apiTokenDTO(tok)
	return api.CreateAPIToken201JSONResponse{Id: d.Id, AgentId: d.AgentId, Name: d.Name, Scopes: d.Scopes,
		ExpiresAt: d.ExpiresAt, RevokedAt: d.RevokedAt, CreatedAt: d.CreatedAt, Token: secret}, nil
}

// ListAPITokens lists tokens.
func (s *Server) ListAPITokens(ctx context.Context, r api.ListAPITokensRequestObject) (api.ListAPITokensResponseObject, error) {
	agentID := ""
	if r.Params.AgentId != nil {
		agentID = r.Params.AgentId.String()
	}
	page, err := s.svc.Auth.ListAPITokens(ctx, agentID, pageRequest(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := api.APITokenPage{Items: []api.APIToken{}, NextCursor: nullableString(page.NextCursor)}
	for _, t := range page.Items {
		out.Items = append(out.Items, apiTokenDTO(t))
	}
	return api.ListAPITokens200JSONResponse(out), nil
}

// RevokeAPIToken revokes a token.
func (s *Server) RevokeAPIToken(ctx context.Context, r api.RevokeAPITokenRequestObject) (api.RevokeAPITokenResponseObject, error) {
	if err := s.svc.Auth.RevokeAPIToken(ctx, r.TokenId.String()); err != nil {
		return nil, err
	}
	return api.RevokeAPIToken204Response{}, nil
}
