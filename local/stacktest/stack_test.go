package stacktest

import (
	"strings"
	"testing"
	"time"
)

func TestReadReady(t *testing.T) {
	out := "starting\nREADY {\"oss\":\"http://127.0.0.1:1\",\"functions\":{\"sign\":\"http://127.0.0.1:2\"},\"corsOrigins\":[\"a\",\"b\"]}\nmore\n"
	r, err := ReadReady(strings.NewReader(out), time.Second)
	if err != nil || r.OSS != "http://127.0.0.1:1" || r.Functions["sign"] != "http://127.0.0.1:2" || len(r.CORSOrigins) != 2 {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := ReadReady(strings.NewReader("starting\nerror: port in use\n"), time.Second); err == nil || !strings.Contains(err.Error(), "exited before READY") {
		t.Errorf("no READY line: %v", err)
	}
	if _, err := ReadReady(strings.NewReader("READY {not json\n"), time.Second); err == nil {
		t.Error("a malformed READY line was accepted")
	}
}
