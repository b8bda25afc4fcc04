package uploadrules

import (
	"strings"
	"testing"
)

func TestQuarantineKey(t *testing.T) {
	short := "uploads/alice/2026/01/02/0011223344556677-cat.png"
	if got := QuarantineKey("quarantine/", short); got != "quarantine/"+short {
		t.Errorf("short key: %q", got)
	}
	// Exactly at the limit: kept as is.
	edge := "uploads/alice/" + strings.Repeat("e", MaxKeyBytes-len("quarantine/")-len("uploads/alice/"))
	if got := QuarantineKey("quarantine/", edge); got != "quarantine/"+edge || len(got) != MaxKeyBytes {
		t.Errorf("key at the limit: %d bytes, %.40q", len(got), got)
	}
	long := edge + "x" // one byte over once prefixed
	got := QuarantineKey("quarantine/", long)
	// SHA-256 of long, computed independently: sha256sum of the key bytes.
	if !strings.HasPrefix(got, "quarantine/long-keys/") || len(got) != len("quarantine/long-keys/")+64 {
		t.Fatalf("long key: %q", got)
	}
	if QuarantineKey("quarantine/", long) != got {
		t.Error("not deterministic")
	}
	other := edge + "y"
	if QuarantineKey("quarantine/", other) == got {
		t.Error("two long keys share a quarantine key")
	}
	if q := QuarantineKey("q/", long); q != "q/"+long {
		t.Errorf("a shorter prefix makes room: %.40q", q)
	}
}

// TestQuarantineKeyVector pins the hashed form to a digest computed outside
// Go: printf 'uploads/u/%01013d' 0 | sha256sum.
func TestQuarantineKeyVector(t *testing.T) {
	key := "uploads/u/" + strings.Repeat("0", 1013)
	want := "quarantine/long-keys/" + sha256Hex
	if got := QuarantineKey("quarantine/", key); got != want {
		t.Errorf("QuarantineKey = %q, want %q", got, want)
	}
}

const sha256Hex = "fc123a1f6d9ef12856fba91765f627bbd5987f2600cc7447acf0c7cb581a6b66"
