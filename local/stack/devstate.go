package stack

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// devState is what the stack generates once and keeps in the data folder,
// so tokens, keys and uploads survive a restart.
type devState struct {
	AccessKeyID     string `json:"accessKeyId"`
	AccessKeySecret string `json:"accessKeySecret"`
	FCKeyID         string `json:"fcServiceKeyId"`
	FCKeySecret     string `json:"fcServiceKeySecret"`
	JWTSecret       string `json:"jwtSecret"`
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

func randomAlnum(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// devStateFile holds the generated keys and secrets in the data folder.
const devStateFile = "dev.json"

// loadDevState reads dir/dev.json or creates it with fresh random values.
func loadDevState(dir string) (devState, error) {
	path := filepath.Join(dir, devStateFile)
	var st devState
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &st); err != nil {
			return st, fmt.Errorf("%s is damaged (%v): delete it to start afresh", path, err)
		}
		if st.AccessKeyID != "" && st.AccessKeySecret != "" && st.JWTSecret != "" && st.FCKeyID != "" && st.FCKeySecret != "" {
			return st, nil
		}
	case !errors.Is(err, os.ErrNotExist):
		return st, fmt.Errorf("read %s: %w", path, err)
	}
	st = devState{
		AccessKeyID:     "LTAI" + randomAlnum(20),
		AccessKeySecret: randomAlnum(30),
		FCKeyID:         "LTAI" + randomAlnum(20),
		FCKeySecret:     randomAlnum(30),
		JWTSecret:       randomHex(32),
	}
	b, err = json.MarshalIndent(st, "", "  ")
	if err != nil {
		return st, err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return st, fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return st, fmt.Errorf("write %s: %w", path, err)
	}
	return st, nil
}

func secondsDuration(n int) time.Duration { return time.Duration(n) * time.Second }
