package ossevents_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ossupload/ossupload/local/ossevents"
)

func ExampleDispatcher() {
	d := ossevents.NewDispatcher()
	d.Add(ossevents.Rule{Events: []string{"oss:ObjectCreated:*"}, Prefix: "uploads/"},
		ossevents.SinkFunc(func(_ context.Context, payload []byte) error {
			fmt.Println(len(payload) > 0)
			return nil
		}))
	d.Publish("ObjectCreated:PostObject", "examplebucket", "cn-hangzhou", "uploads/u1/a.jpg", "7D73E1052AF595535DE90994F4C3E6D5",
		29203, 29203, "5FF16B65F05BC932307A3C3C", "198.51.100.7", "1234567890123456", map[string]string{"mimeType": "image/jpeg"},
		time.Date(2024, 5, 20, 6, 21, 35, 0, time.UTC))
	d.Publish("ObjectCreated:PutObject", "examplebucket", "cn-hangzhou", "elsewhere/b.jpg", "", 1, 1, "r2", "", "", nil, time.Now())
	d.Close() // delivers what is queued before returning
	// Output:
	// true
}
