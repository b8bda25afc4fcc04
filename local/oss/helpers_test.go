package oss

import (
	"encoding/base64"
	"hash/crc64"
	"net/http"
	"net/http/httptest"
	"strconv"
)

func base64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func crcSum(b []byte) uint64 { return crc64.Checksum(b, crc64.MakeTable(crc64.ECMA)) }

func crcOf(b []byte) string { return strconv.FormatUint(crcSum(b), 10) }

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ seed
	}
	return b
}

func do(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}
