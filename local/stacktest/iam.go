package stacktest

import (
	"testing"

	"github.com/ossupload/ossupload/local/iam"
)

// MustPolicy parses a RAM policy document or fails the test.
func MustPolicy(t testing.TB, doc string) iam.Policy {
	t.Helper()
	p, err := iam.ParsePolicy([]byte(doc))
	if err != nil {
		t.Fatalf("policy %s: %v", doc, err)
	}
	return p
}
