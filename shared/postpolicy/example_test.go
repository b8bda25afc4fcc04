package postpolicy_test

import (
	"fmt"
	"time"

	"github.com/ossupload/ossupload/shared/postpolicy"
)

// Sign a V4 policy: build it, encode it, derive the day's key and sign.
func Example() {
	now := time.Date(2023, 12, 3, 12, 12, 12, 0, time.UTC)
	p := postpolicy.Policy{
		Expiration: now.Add(47*time.Minute + 48*time.Second), // 13:00:00.000Z,
		Conditions: []postpolicy.Condition{
			postpolicy.Exact("bucket", "examplebucket"),
			postpolicy.Exact("x-oss-signature-version", postpolicy.SignatureVersionV4),
			postpolicy.Exact("x-oss-credential", postpolicy.CredentialV4("LTAI5tEXAMPLE", now, "cn-hangzhou")),
			postpolicy.Exact("x-oss-date", postpolicy.DateV4(now)),
			postpolicy.ContentLengthRange(1, 1024),
			postpolicy.StartsWith("key", "user/eric/"),
		},
	}
	b64, err := p.Encode()
	if err != nil {
		panic(err)
	}
	key := postpolicy.SigningKeyV4("yourAccessKeySecret", now.Format(postpolicy.DayLayout), "cn-hangzhou")
	fmt.Println(postpolicy.SignV4(key, b64))
	fmt.Println(postpolicy.SignV1("yourAccessKeySecret", b64))
	// Output:
	// 1330f0b62b5fe0173da8ae4071591fa888b6b10c0cf00e00fc80c91079a5f8c0
	// /lsUZajAUxlthUjseC8yn01aATQ=
}
