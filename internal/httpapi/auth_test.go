package httpapi_test

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/auth"
	"github.com/guichet/guichet/internal/config"
	"github.com/guichet/guichet/internal/testdb"
)

// Login.

func TestLoginReturnsBearerTokens(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		r := tryLogin(e, "admin", apitest.AdminPassword, nil).Expect(t, http.StatusOK)
		var tk api.TokenResponse
		r.JSON(t, &tk)
		if tk.TokenType != "Bearer" || tk.ExpiresIn <= 0 || tk.ExpiresIn > 900 {
			t.Fatalf("token_type %q, expires_in %d; want Bearer and 1..900", tk.TokenType, tk.ExpiresIn)
		}
		if !strings.HasPrefix(tk.RefreshToken, auth.RefreshTokenPrefix) {
			t.Fatalf("refresh_token %q lacks %s", tk.RefreshToken, auth.RefreshTokenPrefix)
		}
		header, _, _ := splitJWT(t, tk.AccessToken)
		if header["alg"] != "EdDSA" || header["kid"] == nil {
			t.Fatalf("access token header %v, want alg EdDSA and a kid", header)
		}
		me := whoAmI(t, e, tk.AccessToken)
		if me.Agent.Username != "admin" || me.TokenKind != api.MeTokenKindAccess || me.Scopes != nil {
			t.Fatalf("/me %+v, want admin through an access token without scopes", me)
		}
	})
}

func TestLoginRefusesWrongPasswordAndUnknownUserAlike(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		wrong := expect401(t, tryLogin(e, "admin", "not-the-password", nil))
		unknown := expect401(t, tryLogin(e, "nobody", "not-the-password", nil))
		if wrong.Detail == "" || wrong.Detail != unknown.Detail || wrong.Type != unknown.Type {
			t.Fatalf("wrong password %+v and unknown user %+v must be indistinguishable", wrong, unknown)
		}
	})
}

func TestLoginRejectsBodiesOutsideTheContract(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		for _, tc := range []struct {
			name, body, field string
		}{
			{"MissingPassword", `{"username":"admin"}`, "body.password"},
			{"UnknownField", `{"username":"admin","password":"x","remember_me":true}`, "body.remember_me"},
			{"WrongType", `{"username":"admin","password":42}`, "body.password"},
			{"MalformedJSON", `{"username":"admin",`, "body"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.Do(apitest.Req{Method: http.MethodPost, Path: "/auth/token", Body: tc.body})
				p := r.Expect(t, http.StatusBadRequest).Problem(t)
				if !problemHasField(p, tc.field) {
					t.Fatalf("errors %+v, want one for %s", p.Errors, tc.field)
				}
			})
		}
		// The right password still works: the bad requests were not
		// counted as failed logins or otherwise harmful.
		e.Login("admin", apitest.AdminPassword)
	})
}

// Back-off.

func TestLoginBacksOffAfterTheFreeFailures(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		e.Agent("paul", "agent")
		free := config.Default().LoginFreeFailures
		failLogins(t, e, "paul", free, nil)

		r := tryLogin(e, "paul", "password-paul", nil).Expect(t, http.StatusTooManyRequests)
		if p := r.Problem(t); !strings.HasSuffix(p.Type, "/rate-limited") {
			t.Fatalf("problem type %q", p.Type)
		}
		wait := retryAfterOf(t, r)
		// Other accounts from the same address are not blocked.
		e.Login("admin", apitest.AdminPassword)

		e.Clock.Advance(wait / 2)
		tryLogin(e, "paul", "password-paul", nil).Expect(t, http.StatusTooManyRequests)
		e.Clock.Advance(wait)
		e.Login("paul", "password-paul")

		// The success reset the count: the free failures are free again.
		failLogins(t, e, "paul", free-1, nil)
		e.Login("paul", "password-paul")
	})
}

func TestLoginFreeFailuresIsConfigurable(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b, func(c *config.Config) { c.LoginFreeFailures = 2 })
		e.Agent("paul", "agent")
		failLogins(t, e, "paul", 2, nil)
		r := tryLogin(e, "paul", "password-paul", nil).Expect(t, http.StatusTooManyRequests)
		retryAfterOf(t, r)
	})
}

func TestLoginBackOffIsPerClientAddressBehindTrustedProxies(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b, func(c *config.Config) { c.TrustedProxies = []string{"127.0.0.0/8"} })
		e.Agent("paul", "agent")
		attacker, agent := forwardedFor("203.0.113.7"), forwardedFor("198.51.100.9")
		failLogins(t, e, "paul", config.Default().LoginFreeFailures, attacker)
		retryAfterOf(t, tryLogin(e, "paul", "password-paul", attacker).Expect(t, http.StatusTooManyRequests))

		tryLogin(e, "paul", "password-paul", agent).Expect(t, http.StatusOK)
		// A success from elsewhere does not lift the block on the attacker.
		tryLogin(e, "paul", "password-paul", attacker).Expect(t, http.StatusTooManyRequests)
	})
}

func TestLoginBackOffIgnoresForwardedForFromUntrustedPeers(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		e.Agent("paul", "agent")
		free := config.Default().LoginFreeFailures
		for i := range free {
			spoofed := forwardedFor(fmt.Sprintf("203.0.113.%d", i+1))
			expect401(t, tryLogin(e, "paul", "wrong-password", spoofed))
		}
		r := tryLogin(e, "paul", "password-paul", forwardedFor("198.51.100.9"))
		retryAfterOf(t, r.Expect(t, http.StatusTooManyRequests))
	})
}

// Refresh and logout.

func TestRefreshRotatesTheRefreshToken(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		first := e.Login("admin", apitest.AdminPassword)
		next := mustRefresh(t, e, first.RefreshToken)
		if next.RefreshToken == first.RefreshToken || !strings.HasPrefix(next.RefreshToken, auth.RefreshTokenPrefix) {
			t.Fatalf("refresh token not rotated: %q then %q", first.RefreshToken, next.RefreshToken)
		}
		if next.TokenType != "Bearer" || next.ExpiresIn <= 0 || next.ExpiresIn > 900 {
			t.Fatalf("refreshed %+v", next)
		}
		whoAmI(t, e, next.AccessToken)
		mustRefresh(t, e, next.RefreshToken)
	})
}

func TestRefreshTokenReuseRevokesTheSession(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		other := e.Login("admin", apitest.AdminPassword)
		first := e.Login("admin", apitest.AdminPassword)
		second := mustRefresh(t, e, first.RefreshToken)

		expect401(t, tryRefresh(e, first.RefreshToken))
		// The thief may hold second: the whole session is gone.
		expect401(t, tryRefresh(e, second.RefreshToken))
		// Other sessions of the agent are not.
		mustRefresh(t, e, other.RefreshToken)
	})
}

func TestUnknownRefreshTokenIsRefused(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		expect401(t, tryRefresh(e, auth.RefreshTokenPrefix+"never-issued"))
	})
}

func TestLogoutRevokesTheRefreshToken(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		kept := e.Login("admin", apitest.AdminPassword)
		ended := e.Login("admin", apitest.AdminPassword)
		tryLogout(e, ended.RefreshToken).Expect(t, http.StatusNoContent)
		expect401(t, tryRefresh(e, ended.RefreshToken))
		mustRefresh(t, e, kept.RefreshToken)
	})
}

func TestLogoutWithAnUnknownTokenSucceeds(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		tryLogout(e, auth.RefreshTokenPrefix+"never-issued").Expect(t, http.StatusNoContent)
		tk := e.Login("admin", apitest.AdminPassword)
		tryLogout(e, tk.RefreshToken).Expect(t, http.StatusNoContent)
		tryLogout(e, tk.RefreshToken).Expect(t, http.StatusNoContent)
	})
}

// Access tokens.

func TestMissingOrNonBearerAuthorizationIsRefused(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		for _, tc := range []struct{ name, header string }{
			{"Missing", ""},
			{"Basic", "Basic YWRtaW46YWRtaW4tcGFzc3dvcmQ="},
			{"BearerWithoutToken", "Bearer "},
			{"BareToken", e.Admin},
			{"Garbage", "Bearer not-a-token"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h := map[string]string{}
				if tc.header != "" {
					h["Authorization"] = tc.header
				}
				expect401(t, e.Do(apitest.Req{Method: http.MethodGet, Path: "/me", Headers: h}))
			})
		}
		// The same request with the admin's token as a Bearer works.
		whoAmI(t, e, e.Admin)
	})
}

func TestExpiredAccessTokenIsRefused(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		tk := e.Login("admin", apitest.AdminPassword)
		e.Clock.Advance(14 * time.Minute)
		whoAmI(t, e, tk.AccessToken)
		e.Clock.Advance(2 * time.Minute)
		expect401(t, e.Get(tk.AccessToken, "/me"))
		// The session outlives its access token.
		whoAmI(t, e, mustRefresh(t, e, tk.RefreshToken).AccessToken)
	})
}

func TestForgedAccessTokensAreRefused(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		adminID := whoAmI(t, e, e.Admin).Agent.Id.String()
		_, mallory := e.Agent("mallory", "agent")
		whoAmI(t, e, mallory)
		for name, forged := range forgedTokens(t, e, mallory, adminID, map[string][]byte{}) {
			t.Run(name, func(t *testing.T) {
				expect401(t, e.Get(forged, "/me"))
			})
		}
	})
}

func TestAccessTokenIssuerAndAudienceAreChecked(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		pemKey := newEd25519PEM(t)
		e := apitest.Start(t, b, func(c *config.Config) { c.JWTSigningKey = string(pemKey) })
		key, err := auth.ParsePrivateKeyPEM(pemKey)
		if err != nil {
			t.Fatal(err)
		}
		if h, _, _ := splitJWT(t, e.Admin); h["kid"] != key.ID {
			t.Fatalf("server signs with kid %v, want the configured key %s", h["kid"], key.ID)
		}
		adminID := whoAmI(t, e, e.Admin).Agent.Id.String()
		_, mallory := e.Agent("mallory", "agent")
		// The admin's live session, so that only iss and aud differ.
		_, claims, _ := splitJWT(t, e.Admin)
		family, _ := claims["fam"].(string)
		mint := func(issuer, audience string) string {
			return signAccessToken(t, key, issuer, audience, adminID, family, e.Clock.Now())
		}
		// The server's own key, iss and aud: accepted, so the refusals
		// below are about the claim each one changes.
		whoAmI(t, e, mint("guichet", "guichet-api"))
		forged := map[string]string{
			"WrongAudience": mint("guichet", "other"),
			"WrongIssuer":   mint("other", "guichet-api"),
		}
		pubDER, err := x509.MarshalPKIXPublicKey(key.Public)
		if err != nil {
			t.Fatal(err)
		}
		pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
		for name, tok := range forgedTokens(t, e, mallory, adminID, map[string][]byte{"PublicKey": key.Public, "PublicKeyPEM": pubPEM}) {
			forged[name] = tok
		}
		for name, tok := range forged {
			t.Run(name, func(t *testing.T) {
				expect401(t, e.Get(tok, "/me"))
			})
		}
	})
}

// API tokens.

func TestAPITokenSecretIsShownOnlyAtCreation(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		aliceID, alice := e.Agent("alice", "agent")
		r := e.Post(alice, "/api-tokens", map[string]any{"name": "import", "scopes": []string{"contacts:read"}}).
			Expect(t, http.StatusCreated)
		var created api.APITokenCreated
		r.JSON(t, &created)
		if !strings.HasPrefix(created.Token, auth.APITokenPrefix) || created.AgentId.String() != aliceID ||
			!slices.Equal(created.Scopes, []api.Scope{"contacts:read"}) {
			t.Fatalf("created %+v, want a gch_ secret acting for alice %s with contacts:read", created, aliceID)
		}

		list := e.Get(alice, "/api-tokens").Expect(t, http.StatusOK)
		if strings.Contains(string(list.Body), created.Token) || strings.Contains(string(list.Body), `"token"`) {
			t.Fatalf("the list shows the secret: %s", list.Body)
		}
		if ids := apiTokenIDs(t, list); !slices.Contains(ids, created.Id.String()) {
			t.Fatalf("list %v lacks the new token %s", ids, created.Id)
		}

		me := whoAmI(t, e, created.Token)
		if me.TokenKind != api.MeTokenKindApiToken || me.Scopes == nil ||
			!slices.Equal(*me.Scopes, []api.Scope{"contacts:read"}) || me.Agent.Id.String() != aliceID {
			t.Fatalf("/me through the token: %+v", me)
		}
	})
}

func TestAPITokenScopesOnlyNarrowTheAgentsRights(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		_, alice := e.Agent("alice", "agent")
		contact := func(name string) map[string]any { return map[string]any{"last_name": name, "individual": true} }
		// Alice's session may write contacts; her read-only token may not.
		e.Post(alice, "/contacts", contact("Session")).Expect(t, http.StatusCreated)
		_, reader := e.APIToken(alice, "contacts:read")
		e.Get(reader, "/contacts").Expect(t, http.StatusOK)
		expect403(t, e.Post(reader, "/contacts", contact("Reader")))
		expect403(t, e.Get(reader, "/agents"))

		// agents:write gives an agent no right her roles lack...
		_, aliceWriter := e.APIToken(alice, "agents:write")
		expect403(t, e.Post(aliceWriter, "/agents", agentCreateBody("eve1", "agent")))
		// ...while an admin's token needs the scope too.
		_, adminWriter := e.APIToken(e.Admin, "agents:write")
		_, adminReader := e.APIToken(e.Admin, "contacts:read")
		expect403(t, e.Post(adminReader, "/agents", agentCreateBody("eve2", "agent")))
		e.Post(adminWriter, "/agents", agentCreateBody("eve3", "agent")).Expect(t, http.StatusCreated)
	})
}

func TestAPITokenCannotManageAPITokens(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		_, secret := e.APIToken(e.Admin, "agents:read", "agents:write", "contacts:read", "contacts:write", "audit:read")
		expect403(t, e.Post(secret, "/api-tokens", map[string]any{"name": "child", "scopes": []string{"contacts:read"}}))
		expect403(t, e.Get(secret, "/api-tokens"))
	})
}

func TestOnlyAdminsListAnotherAgentsAPITokens(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		aliceID, alice := e.Agent("alice", "agent")
		_, bob := e.Agent("bob", "agent", "supervisor")
		tokenID, _ := e.APIToken(alice, "contacts:read")

		expect403(t, e.Get(bob, "/api-tokens?agent_id="+aliceID))
		if ids := apiTokenIDs(t, e.Get(bob, "/api-tokens").Expect(t, http.StatusOK)); slices.Contains(ids, tokenID) {
			t.Fatalf("bob's own list %v shows alice's token", ids)
		}
		if ids := apiTokenIDs(t, e.Get(e.Admin, "/api-tokens?agent_id="+aliceID).Expect(t, http.StatusOK)); !slices.Equal(ids, []string{tokenID}) {
			t.Fatalf("admin's list of alice's tokens %v, want [%s]", ids, tokenID)
		}
	})
}

func TestRevokedAPITokenIsRefused(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		aliceID, alice := e.Agent("alice", "agent")
		_, bob := e.Agent("bob", "agent")
		ownID, own := e.APIToken(alice, "contacts:read")
		byAdminID, byAdmin := e.APIToken(alice, "contacts:read")
		keptID, kept := e.APIToken(alice, "contacts:read")

		e.Delete(alice, "/api-tokens/"+ownID, "").Expect(t, http.StatusNoContent)
		expect401(t, e.Get(own, "/contacts"))
		e.Delete(e.Admin, "/api-tokens/"+byAdminID, "").Expect(t, http.StatusNoContent)
		expect401(t, e.Get(byAdmin, "/contacts"))

		// Another agent cannot revoke it (nor learn that it exists).
		if r := e.Delete(bob, "/api-tokens/"+keptID, ""); r.Status != http.StatusNotFound && r.Status != http.StatusForbidden {
			t.Fatalf("bob revoking alice's token: %d %s", r.Status, r.Body)
		}
		e.Get(kept, "/contacts").Expect(t, http.StatusOK)

		var page api.APITokenPage
		e.Get(e.Admin, "/api-tokens?agent_id="+aliceID).Expect(t, http.StatusOK).JSON(t, &page)
		for _, tok := range page.Items {
			want := tok.Id.String() != keptID
			if got := tok.RevokedAt.IsSpecified() && !tok.RevokedAt.IsNull(); got != want {
				t.Fatalf("token %s: revoked_at %v, want revoked %v", tok.Id, tok.RevokedAt, want)
			}
		}
	})
}

func TestExpiredAPITokenIsRefused(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		_, alice := e.Agent("alice", "agent")
		r := e.Post(alice, "/api-tokens", map[string]any{"name": "short", "scopes": []string{"contacts:read"},
			"expires_at": e.Clock.Now().Add(time.Hour).Format(time.RFC3339)}).Expect(t, http.StatusCreated)
		var short api.APITokenCreated
		r.JSON(t, &short)
		_, lasting := e.APIToken(alice, "contacts:read")
		e.Get(short.Token, "/contacts").Expect(t, http.StatusOK)

		e.Clock.Advance(2 * time.Hour)
		expect401(t, e.Get(short.Token, "/contacts"))
		e.Get(lasting, "/contacts").Expect(t, http.StatusOK)
	})
}

func TestAPITokenCannotExpireInThePast(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		r := e.Post(e.Admin, "/api-tokens", map[string]any{"name": "stale", "scopes": []string{"contacts:read"},
			"expires_at": e.Clock.Now().Add(-time.Minute).Format(time.RFC3339)})
		if p := r.Expect(t, http.StatusUnprocessableEntity).Problem(t); !problemHasField(p, "expires_at") {
			t.Fatalf("errors %+v, want one for expires_at", p.Errors)
		}
	})
}

// Password change.

func TestChangePasswordNeedsTheCurrentPassword(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		_, alice := e.Agent("alice", "agent")
		other := e.Login("alice", "password-alice")
		const next = "a much longer new secret"

		r := e.Post(alice, "/me/password", map[string]string{"current_password": "not-the-password", "new_password": next})
		if p := r.Expect(t, http.StatusUnprocessableEntity).Problem(t); !problemHasField(p, "current_password") {
			t.Fatalf("errors %+v, want one for current_password", p.Errors)
		}
		mustRefresh(t, e, other.RefreshToken) // nothing was revoked

		other = e.Login("alice", "password-alice")
		e.Post(alice, "/me/password", map[string]string{"current_password": "password-alice", "new_password": next}).
			Expect(t, http.StatusNoContent)
		expect401(t, tryRefresh(e, other.RefreshToken))
		expect401(t, tryLogin(e, "alice", "password-alice", nil))
		e.Login("alice", next)
	})
}

func TestChangePasswordRefusesAPITokens(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		_, alice := e.Agent("alice", "agent")
		_, secret := e.APIToken(alice, "agents:write")
		expect403(t, e.Post(secret, "/me/password",
			map[string]string{"current_password": "password-alice", "new_password": "a much longer new secret"}))
		e.Login("alice", "password-alice")
	})
}

// Helpers shared by the auth and agents tests.

func tryLogin(e *apitest.Env, username, password string, headers map[string]string) *apitest.Response {
	return e.Do(apitest.Req{Method: http.MethodPost, Path: "/auth/token", Headers: headers,
		Body: map[string]string{"username": username, "password": password}})
}

func tryRefresh(e *apitest.Env, refreshToken string) *apitest.Response {
	return e.Post("", "/auth/refresh", map[string]string{"refresh_token": refreshToken})
}

func tryLogout(e *apitest.Env, refreshToken string) *apitest.Response {
	return e.Post("", "/auth/logout", map[string]string{"refresh_token": refreshToken})
}

// mustRefresh spends refreshToken, failing the test unless it succeeds.
func mustRefresh(t *testing.T, e *apitest.Env, refreshToken string) api.TokenResponse {
	t.Helper()
	var tk api.TokenResponse
	tryRefresh(e, refreshToken).Expect(t, http.StatusOK).JSON(t, &tk)
	return tk
}

// failLogins makes n failed logins of username, each refused with 401.
func failLogins(t *testing.T, e *apitest.Env, username string, n int, headers map[string]string) {
	t.Helper()
	for range n {
		expect401(t, tryLogin(e, username, "wrong-password", headers))
	}
}

func forwardedFor(ip string) map[string]string { return map[string]string{"X-Forwarded-For": ip} }

// retryAfterOf returns the response's Retry-After, failing unless it is a
// positive number of seconds.
func retryAfterOf(t *testing.T, r *apitest.Response) time.Duration {
	t.Helper()
	s, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || s < 1 {
		t.Fatalf("Retry-After %q, want positive seconds", r.Header.Get("Retry-After"))
	}
	return time.Duration(s) * time.Second
}

func whoAmI(t *testing.T, e *apitest.Env, token string) api.Me {
	t.Helper()
	var me api.Me
	e.Get(token, "/me").Expect(t, http.StatusOK).JSON(t, &me)
	return me
}

// expect401 checks a 401 problem that invites Bearer credentials.
func expect401(t *testing.T, r *apitest.Response) apitest.Problem {
	t.Helper()
	p := r.Expect(t, http.StatusUnauthorized).Problem(t)
	if !strings.HasSuffix(p.Type, "/unauthorized") {
		t.Fatalf("problem type %q", p.Type)
	}
	if h := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer") {
		t.Fatalf("WWW-Authenticate %q, want a Bearer challenge", h)
	}
	return p
}

func expect403(t *testing.T, r *apitest.Response) apitest.Problem {
	t.Helper()
	p := r.Expect(t, http.StatusForbidden).Problem(t)
	if !strings.HasSuffix(p.Type, "/forbidden") {
		t.Fatalf("problem type %q", p.Type)
	}
	return p
}

func problemHasField(p apitest.Problem, field string) bool {
	for _, f := range p.Errors {
		if f.Field == field && f.Message != "" {
			return true
		}
	}
	return false
}

func apiTokenIDs(t *testing.T, r *apitest.Response) []string {
	t.Helper()
	var page api.APITokenPage
	r.JSON(t, &page)
	ids := make([]string, len(page.Items))
	for i, tok := range page.Items {
		ids[i] = tok.Id.String()
	}
	return ids
}

func agentCreateBody(username string, roles ...string) map[string]any {
	return map[string]any{"username": username, "display_name": username, "roles": roles, "password": "password-" + username}
}

// JWT forgery.

var jwtB64 = base64.RawURLEncoding

// splitJWT decodes a compact JWT's header and claims.
func splitJWT(t *testing.T, token string) (header, claims map[string]any, sig []byte) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWT: %q", token)
	}
	for i, v := range []*map[string]any{&header, &claims} {
		raw, err := jwtB64.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("JWT part %d: %v", i, err)
		}
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatalf("JWT part %d: %v", i, err)
		}
	}
	sig, err := jwtB64.DecodeString(parts[2])
	if err != nil {
		t.Fatalf("JWT signature: %v", err)
	}
	return header, claims, sig
}

// joinJWT encodes a JWT, signing header.claims with sign (nil: no signature).
func joinJWT(t *testing.T, header, claims map[string]any, sign func(input []byte) []byte) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := jwtB64.EncodeToString(h) + "." + jwtB64.EncodeToString(c)
	var sig []byte
	if sign != nil {
		sig = sign([]byte(input))
	}
	return input + "." + jwtB64.EncodeToString(sig)
}

// forgedTokens derives, from a genuine access token of an attacker, tokens
// that must all be refused: tampered, unsigned, HMAC-signed with each of
// hmacKeys (and a random key), or signed by keys the server does not hold;
// all but the tampered signature claim to be victimID.
func forgedTokens(t *testing.T, e *apitest.Env, genuine, victimID string, hmacKeys map[string][]byte) map[string]string {
	t.Helper()
	header, claims, sig := splitJWT(t, genuine)
	kid, _ := header["kid"].(string)
	out := map[string]string{}

	flipped := slices.Clone(sig)
	flipped[len(flipped)/2] ^= 0x01
	parts := strings.Split(genuine, ".")
	out["SignatureFlipped"] = parts[0] + "." + parts[1] + "." + jwtB64.EncodeToString(flipped)
	out["SignatureDropped"] = parts[0] + "." + parts[1] + "."

	victim := cloneClaims(claims)
	victim["sub"] = victimID
	c, _ := json.Marshal(victim)
	out["SubjectSwapped"] = parts[0] + "." + jwtB64.EncodeToString(c) + "." + parts[2]

	for _, alg := range []string{"none", "None", "NONE"} {
		out["Alg"+alg] = joinJWT(t, map[string]any{"alg": alg, "typ": "JWT", "kid": kid}, victim, nil)
	}

	random := make([]byte, 32)
	rand.Read(random)
	hmacKeys["RandomKey"] = random
	for name, secret := range hmacKeys {
		hs := func(input []byte) []byte {
			m := hmac.New(sha256.New, secret)
			m.Write(input)
			return m.Sum(nil)
		}
		out["HS256With"+name] = joinJWT(t, map[string]any{"alg": "HS256", "typ": "JWT", "kid": kid}, victim, hs)
	}

	foreign, err := auth.NewSigningKey(e.Clock.Now().Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	out["ForeignKey"] = signAccessToken(t, foreign, "guichet", "guichet-api", victimID, "", e.Clock.Now())
	foreign.ID = kid
	out["ForeignKeyUnderTheServersKid"] = signAccessToken(t, foreign, "guichet", "guichet-api", victimID, "", e.Clock.Now())
	return out
}

func cloneClaims(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// signAccessToken signs an access token for subject with key through a keyring of
// the given issuer and audience.
// family is the session the token belongs to ("" for none).
func signAccessToken(t *testing.T, key auth.SigningKey, issuer, audience, subject, family string, now time.Time) string {
	t.Helper()
	ring := auth.NewKeyring(issuer, audience, 15*time.Minute,
		func(context.Context) ([]auth.SigningKey, error) { return []auth.SigningKey{key}, nil })
	if err := ring.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	tok, _, err := ring.Sign(context.Background(), subject, family, now)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// newEd25519PEM returns a fresh Ed25519 key as a PKCS#8 PEM block.
func newEd25519PEM(t *testing.T) []byte {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}
