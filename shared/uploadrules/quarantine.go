package uploadrules

import (
	"crypto/sha256"
	"encoding/hex"
)

// MaxKeyBytes is the longest object key OSS accepts: 1 to 1023 bytes of
// UTF-8 (OSS object naming rules,
// https://www.alibabacloud.com/help/en/oss/user-guide/object-naming-conventions).
const MaxKeyBytes = 1023

// longKeyFolder holds the quarantine copies of keys too long to keep their
// name under the quarantine prefix.
const longKeyFolder = "long-keys/"

// QuarantineKey is where the verify function keeps the quarantined copy of
// key, and where the sign function's GET /status looks for it: prefix + key
// when that fits in MaxKeyBytes, otherwise prefix + "long-keys/" + the
// lower-case hex SHA-256 of key. Both functions call this one function, so
// they always agree.
//
// The hashed form cannot collide with a normal one: a normal quarantine key
// is prefix + an upload key, and upload keys start with UPLOAD_PREFIX, which
// CheckQuarantinePrefix keeps apart from the quarantine prefix; matching a
// hashed key would need an upload key "long-keys/<64 hex>" (outside every
// owner prefix) equal to a SHA-256 preimage.
func QuarantineKey(prefix, key string) string {
	if len(prefix)+len(key) <= MaxKeyBytes {
		return prefix + key
	}
	sum := sha256.Sum256([]byte(key))
	return prefix + longKeyFolder + hex.EncodeToString(sum[:])
}
