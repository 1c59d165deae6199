package seed

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/store"
)

var agentNames = []string{
	"Mélanie Loubet", "Éric Ngô", "Hélène Lefèvre", "Jérôme Dupont", "Françoise Martin", "Loïc Bernard",
	"Anaïs Moreau", "Chloé Girard", "Benoît Mercier", "Cécile Faure", "Gaëlle Rousseau", "Stéphane Guérin",
	"Thérèse Perrin", "Aïcha Diallo", "Raphaël Chevalier", "Océane Leroux", "Karim Benali", "Margaux Roche",
	"Théo Lambert", "Inès Caron",
}

// Agents returns the ids of n agents named seed-agent-01, seed-agent-02…,
// creating through the store those that do not exist yet (as the system:
// ctx must carry no caller). Their passwords are random and never shown;
// every fifth is a supervisor, the others agents.
func Agents(ctx context.Context, s *store.Store, n int) ([]string, error) {
	usernames := make([]string, n)
	for i := range usernames {
		usernames[i] = fmt.Sprintf("seed-agent-%02d", i+1)
	}
	var existing []struct {
		ID       string `bun:"id"`
		Username string `bun:"username"`
	}
	if n > 0 {
		err := s.DB().Writer().NewSelect().Table("agents").Column("id", "username").
			Where("username IN (?)", bun.List(usernames)).Scan(ctx, &existing)
		if err != nil {
			return nil, fmt.Errorf("seed agents: %w", err)
		}
	}
	ids := make(map[string]string, n)
	for _, a := range existing {
		ids[a.Username] = a.ID
	}
	out := make([]string, 0, n)
	for i, u := range usernames {
		if id, ok := ids[u]; ok {
			out = append(out, id)
			continue
		}
		role := guichet.RoleAgent
		if supervisor(i) {
			role = guichet.RoleSupervisor
		}
		a, err := s.CreateAgent(ctx, guichet.AgentCreate{Username: u, DisplayName: agentNames[i%len(agentNames)],
			Roles: []guichet.Role{role}, Password: randomPassword()})
		if err != nil {
			return nil, fmt.Errorf("seed agents: %w", err)
		}
		out = append(out, a.ID)
	}
	return out, nil
}

// Supervisors returns the supervisors among the ids Agents returned.
func Supervisors(ids []string) []string {
	var out []string
	for i, id := range ids {
		if supervisor(i) {
			out = append(out, id)
		}
	}
	return out
}

func supervisor(i int) bool { return i%5 == 4 }

func randomPassword() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // never fails (crypto/rand panics if it cannot read)
	return base64.RawURLEncoding.EncodeToString(b)
}
