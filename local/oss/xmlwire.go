package oss

import (
	"bytes"
	"encoding/xml"
)

// marshalXML encodes v as encoding/xml does, then writes quotation marks
// and apostrophes as literal characters. encoding/xml escapes them in
// character data (&#34; and &#39;), which OSS does not: its documents carry
// ETags as <ETag>"5B3C1A2E053D763E1B002CC607C5****"</ETag> (ListParts,
// CompleteMultipartUpload, CopyObject, UploadPartCopy and ListObjects
// examples in the OSS API reference, https://www.alibabacloud.com/help/en/oss/developer-reference/listparts).
// The replacement is exact because the documents have no attributes: in
// character data encoding/xml writes "&#34;" only for a '"' ('&' itself
// becomes "&amp;"), and '"' and '\” need no escaping outside attributes
// (XML 1.0 §2.4). '&', '<', '>' and control characters stay escaped.
func marshalXML(v any) ([]byte, error) {
	b, err := xml.Marshal(v)
	if err != nil {
		return nil, err
	}
	return literalQuotes(b), nil
}

func literalQuotes(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("&#34;"), []byte(`"`))
	return bytes.ReplaceAll(b, []byte("&#39;"), []byte(`'`))
}
