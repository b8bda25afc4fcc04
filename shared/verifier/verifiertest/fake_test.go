package verifiertest

import "testing"

func TestFakeContract(t *testing.T) {
	f := NewFake()
	TestStore(t, f, func(t *testing.T, key string, data []byte, ct string, meta map[string]string) string {
		return f.Put(key, data, ct, meta)
	}, "uploads/")
}
