package authdb

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"
)

// Sealed links keep data that must not be readable from a copy of the
// database (a pending OAuth flow holds the app's client secret, the PKCE
// verifier, and for a moment the ledger's tokens): the data is sealed with
// AES-256-GCM under a key derived from the link's secret (the OAuth
// state), which is not stored; the row is found by another hash of it.

func sealedHash(secret string) string {
	h := sha256.Sum256([]byte("remit-sealed-id-v1\x00" + secret))
	return hex.EncodeToString(h[:])
}

func sealedAEAD(secret string) cipher.AEAD {
	key := sha256.Sum256([]byte("remit-sealed-key-v1\x00" + secret))
	block, _ := aes.NewCipher(key[:]) // a 32-byte key never fails
	aead, _ := cipher.NewGCM(block)
	return aead
}

// PutSealed stores data sealed under secret as a link of kind, until
// expires. The same secret replaces it.
func (d *DB) PutSealed(ctx context.Context, kind, secret string, data []byte, expires time.Time) error {
	aead := sealedAEAD(secret)
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails (Go 1.24+)
	hash := sealedHash(secret)
	box := aead.Seal(nonce, nonce, data, []byte(kind+"\x00"+hash))
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, d.q.deleteLink, hash); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, d.q.putLink, hash, kind, "", box, ns(expires)); err != nil {
		return err
	}
	return tx.Commit()
}

// Sealed returns the data of the live link of kind sealed under secret,
// leaving it.
func (d *DB) Sealed(ctx context.Context, kind, secret string, now time.Time) ([]byte, bool, error) {
	l, ok, err := d.Link(ctx, kind, sealedHash(secret), now)
	if err != nil || !ok {
		return nil, false, err
	}
	return open(kind, secret, l)
}

// TakeSealed deletes the live link of kind sealed under secret and returns
// its data: of any number of callers on any number of nodes, one gets it.
func (d *DB) TakeSealed(ctx context.Context, kind, secret string, now time.Time) ([]byte, bool, error) {
	l, ok, err := d.TakeLink(ctx, kind, sealedHash(secret), now)
	if err != nil || !ok {
		return nil, false, err
	}
	return open(kind, secret, l)
}

func open(kind, secret string, l Link) ([]byte, bool, error) {
	aead := sealedAEAD(secret)
	if len(l.Data) < aead.NonceSize() {
		return nil, false, errors.New("sign-in state: a sealed link is too short")
	}
	nonce, box := l.Data[:aead.NonceSize()], l.Data[aead.NonceSize():]
	data, err := aead.Open(nil, nonce, box, []byte(kind+"\x00"+l.Hash))
	if err != nil {
		return nil, false, errors.New("sign-in state: a sealed link does not open")
	}
	return data, true, nil
}
