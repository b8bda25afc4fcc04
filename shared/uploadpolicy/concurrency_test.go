package uploadpolicy

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/ossupload/ossupload/shared/credentials"
)

type credsKey struct{}

// ctxCreds returns the credentials carried by the request context, as FC's
// per-invocation credentials are.
type ctxCreds struct{}

func (ctxCreds) Resolve(ctx context.Context) (credentials.Credentials, error) {
	return ctx.Value(credsKey{}).(credentials.Credentials), nil
}

// TestConcurrentSign signs in parallel with credentials that differ per
// request, so the shared signing-key cache is exercised under -race and
// every answer must still verify with its own secret.
func TestConcurrentSign(t *testing.T) {
	f := newFixture(t, nil, nil)
	h, err := New(f.cfg, Deps{Auth: mustAuth(t, f.cfg), Credentials: ctxCreds{}, Now: fixedNow, Random: fixedRandom{}})
	if err != nil {
		t.Fatal(err)
	}
	tok := token(t, testUser)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				secret := fmt.Sprintf("secret-%d", (g+i)%3)
				r := postSign(t, tok, `{"filename":"a.png","contentType":"image/png"}`)
				r = r.WithContext(context.WithValue(r.Context(), credsKey{}, credentials.Credentials{AccessKeyID: "STS.k", AccessKeySecret: secret}))
				w := serve(h, r)
				if w.Code != 200 {
					errs <- fmt.Errorf("status %d", w.Code)
					return
				}
				var resp Response
				if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
					errs <- err
					return
				}
				fl := resp.Fields
				k := hmacSHA256([]byte("aliyun_v4"+secret), "20261123")
				for _, s := range []string{testRegion, "oss", "aliyun_v4_request"} {
					k = hmacSHA256(k, s)
				}
				if hex.EncodeToString(hmacSHA256(k, fl.Policy)) != fl.V4Signature {
					errs <- fmt.Errorf("signature made with the wrong key for %s", secret)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
