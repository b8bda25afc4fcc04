// Package verdictconfig reads and checks what the functions that judge
// uploads (verify) or report the judgement (sign's GET /status) share:
// OSS_ENDPOINT, QUARANTINE_PREFIX and SWEEP_MIN_AGE_SECONDS. See package
// baseconfig for the rest.
package verdictconfig

import (
	"time"

	"github.com/ossupload/ossupload/shared/baseconfig"
	"github.com/ossupload/ossupload/shared/config"
	"github.com/ossupload/ossupload/shared/sweepage"
	"github.com/ossupload/ossupload/shared/uploadrules"
)

// Verdicts is what sign and verify share.
type Verdicts struct {
	// Endpoint (OSS_ENDPOINT) is how the function reaches OSS to read
	// uploads and their verdict tags; the region's public endpoint when
	// unset.
	Endpoint string
	// QuarantinePrefix (QUARANTINE_PREFIX) is where verify moves rejected
	// uploads.
	QuarantinePrefix string
	// SweepMinAge (SWEEP_MIN_AGE_SECONDS): verify's sweep judges uploads
	// without a verdict this old; sign's GET /status calls them overdue.
	SweepMinAge time.Duration
}

// DefaultEndpoint is https://oss-<region>.aliyuncs.com ("" without a region).
func DefaultEndpoint(region string) string {
	if region == "" {
		return ""
	}
	return "https://oss-" + region + ".aliyuncs.com"
}

// Read reads Verdicts; b gives the region of the default endpoint.
func Read(env *config.Env, b baseconfig.Base) Verdicts {
	return Verdicts{
		Endpoint:         env.URL("OSS_ENDPOINT", DefaultEndpoint(b.Region)),
		QuarantinePrefix: env.String("QUARANTINE_PREFIX", uploadrules.DefaultQuarantinePrefix),
		SweepMinAge:      sweepage.FromEnv(env),
	}
}

// Check adds what is wrong with v to p; b gives the region (without one
// there is no default endpoint to check) and the upload rules the
// quarantine must stay apart from.
func (v Verdicts) Check(p *config.Problems, b baseconfig.Base) {
	if b.Region != "" && !config.ValidHTTPURL(v.Endpoint) {
		p.Add("OSS_ENDPOINT", "must be an http(s) URL, e.g. https://oss-cn-hangzhou-internal.aliyuncs.com")
	}
	if err := b.Rules.CheckQuarantinePrefix(v.QuarantinePrefix); err != nil {
		p.Add("QUARANTINE_PREFIX", "%q %v", v.QuarantinePrefix, err)
	}
	if !sweepage.Valid(v.SweepMinAge) {
		p.Add(sweepage.EnvName, "must be whole seconds from %d to %d", int64(sweepage.Min/time.Second), int64(sweepage.Max/time.Second))
	}
}
