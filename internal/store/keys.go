package store

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/auth"
)

type signingKeyRow struct {
	bun.BaseModel `bun:"table:signing_keys"`

	ID         string     `bun:"id,pk"`
	PrivateKey []byte     `bun:"private_key"` // sealed with the secret key
	PublicKey  []byte     `bun:"public_key"`
	CreatedAt  time.Time  `bun:"created_at"`
	RetiredAt  *time.Time `bun:"retired_at"`
}

// keyReloadEvery bounds how long a replica signs with a key that another
// replica has retired.
const keyReloadEvery = time.Minute

// initKeys sets up the keyring: the configured key, or the keys stored in
// the database (one is generated when there are none), shared by every
// replica.
func (s *Store) initKeys(ctx context.Context) error {
	source := s.loadSigningKeys
	if s.opts.SigningKeyPEM != "" {
		key, err := auth.ParsePrivateKeyPEM([]byte(s.opts.SigningKeyPEM))
		if err != nil {
			return fmt.Errorf("GUICHET_JWT_SIGNING_KEY: %w", err)
		}
		source = func(context.Context) ([]auth.SigningKey, error) { return []auth.SigningKey{key}, nil }
	} else if err := s.ensureSigningKey(ctx); err != nil {
		return err
	}
	s.keys = auth.NewKeyring(s.opts.Issuer, s.opts.Audience, s.opts.AccessTTL, source)
	if err := s.keys.Reload(ctx); err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	go s.reloadKeysPeriodically()
	return nil
}

func (s *Store) reloadKeysPeriodically() {
	t := time.NewTicker(keyReloadEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stopKeys:
			return
		case <-t.C:
			if err := s.keys.Reload(context.Background()); err != nil {
				s.log.Warn("reload signing keys", "error", err)
			}
		}
	}
}

func (s *Store) loadSigningKeys(ctx context.Context) ([]auth.SigningKey, error) {
	var rows []signingKeyRow
	if err := s.db.read.NewSelect().Model(&rows).Order("created_at").Scan(ctx); err != nil {
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	keys := make([]auth.SigningKey, 0, len(rows))
	for _, r := range rows {
		seed, err := s.opts.Box.Open(r.PrivateKey, []byte("signing-key:"+r.ID))
		if err != nil {
			return nil, fmt.Errorf("signing key %s: cannot decrypt (is GUICHET_SECRET_KEY the one it was stored with?): %w", r.ID, err)
		}
		priv := ed25519.NewKeyFromSeed(seed)
		keys = append(keys, auth.SigningKey{ID: r.ID, Private: priv, Public: priv.Public().(ed25519.PublicKey),
			CreatedAt: r.CreatedAt, RetiredAt: r.RetiredAt})
	}
	return keys, nil
}

// ensureSigningKey creates the first key when the database has none.
func (s *Store) ensureSigningKey(ctx context.Context) error {
	n, err := s.db.read.NewSelect().Model((*signingKeyRow)(nil)).Where("retired_at IS NULL").Count(ctx)
	if err != nil {
		return fmt.Errorf("count signing keys: %w", err)
	}
	if n > 0 {
		return nil
	}
	return s.RotateSigningKey(ctx)
}

// RotateSigningKey stores a new signing key and retires the others: they
// keep verifying the tokens they signed until those expire.
func (s *Store) RotateSigningKey(ctx context.Context) error {
	key, err := auth.NewSigningKey(s.now())
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.NewUpdate().Model((*signingKeyRow)(nil)).Set("retired_at = ?", tx.Now).
			Where("retired_at IS NULL").Exec(ctx); err != nil {
			return fmt.Errorf("retire keys: %w", err)
		}
		row := signingKeyRow{ID: key.ID, PublicKey: key.Public, CreatedAt: tx.Now,
			PrivateKey: s.opts.Box.Seal(key.Private.Seed(), []byte("signing-key:"+key.ID))}
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			return fmt.Errorf("store key: %w", err)
		}
		return audit(ctx, tx, "create", "signing_key", "", nil, map[string]string{"kid": key.ID})
	})
	if err != nil {
		return fmt.Errorf("rotate signing key: %w", err)
	}
	if s.keys != nil {
		return s.keys.Reload(ctx)
	}
	return nil
}
