package auth_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/ossupload/ossupload/shared/auth"
)

func ExampleAuthenticator_Authenticate() {
	secret := []byte("an-example-secret-of-at-least-32-bytes")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a, err := auth.New(context.Background(), auth.Config{JWTSecret: secret, Issuer: "dev", Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	tok, err := auth.IssueHS256(secret, "dev-user", "dev", "", now, time.Hour)
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest("POST", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	id, err := a.Authenticate(r)
	fmt.Println(id.UserID, err)

	r.Header.Set("Authorization", "Bearer "+tok+"x")
	_, err = a.Authenticate(r)
	fmt.Println(err)
	// Output:
	// dev-user <nil>
	// unauthorized (401): token signature is invalid
}
