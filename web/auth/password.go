package auth

import (
	"errors"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"remit/domain"
)

// Password length bounds. bcrypt reads at most 72 bytes, so a longer
// password is refused rather than silently cut.
const (
	MinPasswordLength = 12
	MaxPasswordBytes  = 72
)

// checkPassword refuses a password that is too short or too long.
func checkPassword(pw string) error {
	if utf8.RuneCountInString(pw) < MinPasswordLength {
		return domain.Invalid("password", "use at least %d characters", MinPasswordLength)
	}
	if len(pw) > MaxPasswordBytes {
		return domain.Invalid("password", "use at most %d bytes", MaxPasswordBytes)
	}
	return nil
}

// hashPassword returns the bcrypt hash of pw at cost.
func hashPassword(pw string, cost int) (string, error) {
	if err := checkPassword(pw); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

// passwordMatches reports whether pw is the password of hash.
func passwordMatches(hash, pw string) bool {
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw))
	return err == nil && !errors.Is(err, bcrypt.ErrMismatchedHashAndPassword)
}
