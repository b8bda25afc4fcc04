package httpapi

import "testing"

// TestDuplicateName: the in-place scan finds a name given twice in the same
// object at any depth, as encoding/json would match it (simple case
// folding, escapes decoded), and nothing else: the same name in different
// objects, or inside string values, is no duplicate.
func TestDuplicateName(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"flat, none", `{"filename":"a.png","contentType":"image/png","size":1}`, ""},
		{"flat, same case", `{"size":1,"size":2}`, "size"},
		{"flat, other case", `{"size":1,"SIZE":2}`, "SIZE"},
		{"long s folds to s", "{\"size\":1,\"\u017fize\":2}", "\u017fize"},
		{"escaped name", `{"size":1,"\u0073ize":2}`, "size"},
		{"escaped quote in a name", `{"a\"b":1,"A\"B":2}`, `A"B`},
		{"nested object", `{"a":{"k":1,"K":2}}`, "K"},
		{"same name in sibling objects", `{"a":{"k":1},"b":{"k":2}}`, ""},
		{"same name in parent and child", `{"k":{"k":1}}`, ""},
		{"objects in an array", `[{"k":1},{"k":2},{"x":1,"X":1}]`, "X"},
		{"after a nested object closes", `{"a":{"b":1},"c":2,"a":3}`, "a"},
		{"names inside values", `{"v":"\"v\":1,{\"v\":2}","w":["v","v"]}`, ""},
		{"backslash before a quote in a value", `{"v":"x\\","v2":1}`, ""},
		{"deep", `{"a":[[{"b":{"c":[{"d":1,"D":2}]}}]]}`, "D"},
		{"many names", `{"a1":1,"a2":1,"a3":1,"a4":1,"a5":1,"a6":1,"a7":1,"a8":1,"a9":1,"a10":1,"a11":1,"a12":1,"a13":1,"a14":1,"a15":1,"a16":1,"a17":1,"A1":1}`, "A1"},
		{"scalar", `"x"`, ""},
	}
	for _, tc := range cases {
		if got := duplicateName([]byte(tc.body)); got != tc.want {
			t.Errorf("%s: duplicateName(%s) = %q, want %q", tc.name, tc.body, got, tc.want)
		}
	}
}

func BenchmarkDuplicateName(b *testing.B) {
	body := []byte(`{"filename":"cat.png","contentType":"image/png","size":12345}`)
	b.ReportAllocs()
	for b.Loop() {
		if duplicateName(body) != "" {
			b.Fatal("duplicate")
		}
	}
}
