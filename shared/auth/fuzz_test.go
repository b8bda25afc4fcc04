package auth

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ossupload/ossupload/shared/httpapi"
)

// FuzzAuthenticate: any Authorization header either authenticates a user id
// that is a safe key segment or fails with the 401 contract error, and the
// message never contains the header.
func FuzzAuthenticate(f *testing.F) {
	tok, err := IssueHS256(secret, "dev-user", "", "", t0, 1e12)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"Bearer " + tok, "Bearer a.b.c", "Basic x", "Bearer", "", "Bearer " + tamper(tok)} {
		f.Add(s)
	}
	a, err := New(context.Background(), Config{JWTSecret: secret, Now: fixedNow})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", header)
		id, err := a.Authenticate(r)
		if err == nil {
			if !UserIDPattern.MatchString(id.UserID) || strings.Contains(id.UserID, "..") || id.UserID == "." {
				t.Fatalf("unsafe user id %q", id.UserID)
			}
			return
		}
		var e *httpapi.Error
		if !errors.As(err, &e) || e.Status() != 401 || e.Code.String() != "unauthorized" {
			t.Fatalf("got %v", err)
		}
		if len(header) > 12 && strings.Contains(e.Message, strings.TrimPrefix(header, "Bearer ")) {
			t.Fatalf("message echoes the header: %q", e.Message)
		}
	})
}
