package oss

import (
	"net/http"
	"strings"
	"unicode/utf8"
)

// Object naming rules, as OSS states them
// (https://alibabacloud.com/help/en/oss/user-guide/object-naming-conventions):
// UTF-8, 1 to 1,023 bytes, not starting with "/" or "\", case-sensitive.
// Nothing else is refused: control characters, NUL included, are valid in a
// key (which is why ListObjects offers encoding-type=url). A name too long or
// not UTF-8 is 0016-00000002, one starting with a slash or backslash
// 0016-00000005 (https://www.alibabacloud.com/help/en/oss/support/0016-00000002,
// https://www.alibabacloud.com/help/en/oss/support/0016-00000005).
const maxKeyBytes = 1023

func errInvalidObjectName(ec string) *Error {
	return newError(http.StatusBadRequest, "InvalidObjectName", "The specified object is not valid.", ec)
}

// checkObjectName applies the naming rules to a request's key; "" (a
// bucket-level request) passes.
func checkObjectName(key string) error {
	switch {
	case key == "":
		return nil
	case len(key) > maxKeyBytes || !utf8.ValidString(key):
		return errInvalidObjectName("0016-00000002")
	case strings.HasPrefix(key, "/") || strings.HasPrefix(key, `\`):
		return errInvalidObjectName("0016-00000005")
	}
	return nil
}

// Object types as HeadObject reports them in x-oss-object-type
// (https://www.alibabacloud.com/help/zh/doc-detail/31984.htm).
const (
	typeNormal     = "Normal"
	typeAppendable = "Appendable"
	typeSymlink    = "Symlink"
	typeMultipart  = "Multipart"
)

// objectType is the object's x-oss-object-type. Records stored before the
// type was kept, and objects completed by multipart upload, are told apart
// by their ETag ("<hex>-<parts>" is a multipart ETag).
func objectType(obj Object) string {
	switch {
	case obj.Type != "":
		return obj.Type
	case strings.Contains(obj.ETag, "-"):
		return typeMultipart
	}
	return typeNormal
}
