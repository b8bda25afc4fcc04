package cors_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/ossupload/ossupload/shared/cors"
)

func ExamplePolicy_Wrap() {
	p := cors.New([]string{"https://app.example.com"}, []string{http.MethodPost}, nil)
	h := p.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))

	r := httptest.NewRequest(http.MethodOptions, "/", nil)
	r.Header.Set("Origin", "https://app.example.com")
	r.Header.Set("Access-Control-Request-Method", "POST")
	r.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("Access-Control-Allow-Origin"), "|", w.Header().Get("Access-Control-Allow-Headers"))
	// Output: 204 https://app.example.com | Authorization, Content-Type
}
