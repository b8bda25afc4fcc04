package stsvend

import "testing"

func TestClientOptionsFor(t *testing.T) {
	for _, tc := range []struct {
		name, url string
		want      ClientOptions
	}{
		{"default", "https://ossupload-dev.oss-cn-hangzhou.aliyuncs.com", ClientOptions{Secure: true}},
		{"default with slash", "https://ossupload-dev.oss-cn-hangzhou.aliyuncs.com/", ClientOptions{Secure: true}},
		{"other region host", "https://ossupload-dev.oss-cn-shanghai.aliyuncs.com",
			ClientOptions{Endpoint: "https://oss-cn-shanghai.aliyuncs.com", Secure: true}},
		{"accelerate", "https://ossupload-dev.oss-accelerate.aliyuncs.com",
			ClientOptions{Endpoint: "https://oss-accelerate.aliyuncs.com", Secure: true}},
		{"virtual host on localhost", "http://ossupload-dev.localhost:9000",
			ClientOptions{Endpoint: "http://localhost:9000"}},
		{"path style emulator", "http://127.0.0.1:9000/ossupload-dev",
			ClientOptions{Endpoint: "http://127.0.0.1:9000", SldEnable: true}},
		{"path style with slash", "http://127.0.0.1:9000/ossupload-dev/",
			ClientOptions{Endpoint: "http://127.0.0.1:9000", SldEnable: true}},
		{"cdn", "https://uploads.example.com",
			ClientOptions{Endpoint: "https://uploads.example.com", Secure: true, Cname: true}},
		{"bucket-like prefix is not the bucket label", "https://ossupload-dev-cdn.example.com",
			ClientOptions{Endpoint: "https://ossupload-dev-cdn.example.com", Secure: true, Cname: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ClientOptionsFor(tc.url, testBucket, testRegion)
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	for _, bad := range []string{"ftp://x", "http://", "http://x/?a=b", "not a url", "http://u:p@host"} {
		if _, err := ClientOptionsFor(bad, testBucket, testRegion); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
