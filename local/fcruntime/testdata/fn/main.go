// Command fn is the test function of package fcruntime: a real fc.Start
// binary whose behaviour each event chooses.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fc"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
)

type event struct {
	Action    string          `json:"action"` // echo | error | panic | sleep | exit | failUntil | hangUntil
	Sleep     string          `json:"sleep"`
	Code      int             `json:"code"`
	N         int             `json:"n"`
	Record    string          `json:"record"` // file to append "<retry>\n" to
	Payload   json.RawMessage `json:"payload"`
	RequestCx json.RawMessage `json:"requestContext"` // present: an HTTP trigger event
}

type seen struct {
	Payload     json.RawMessage   `json:"payload,omitempty"`
	RequestID   string            `json:"requestId"`
	DeadlineMS  int64             `json:"deadlineMs"`
	Credentials map[string]string `json:"credentials"`
	EnvAK       string            `json:"envAccessKeyId"`
	Function    map[string]string `json:"function"`
	TimeoutS    int               `json:"timeoutS"`
	Region      string            `json:"region"`
	AccountID   string            `json:"accountId"`
	Qualifier   string            `json:"qualifier"`
	RetryCount  int               `json:"retryCount"`
	PID         int               `json:"pid"`
	StartNS     int64             `json:"startNs"`
	EndNS       int64             `json:"endNs"`
	Env         map[string]string `json:"env"`
}

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	start := time.Now().UnixNano()
	fctx, _ := fccontext.FromContext(ctx)
	if ev.RequestCx != nil {
		return httpHandle(raw, fctx)
	}
	if ev.Record != "" {
		f, err := os.OpenFile(ev.Record, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(f, "%d\n", fctx.RetryCount)
		f.Close()
	}
	switch ev.Action {
	case "error":
		return nil, errors.New("failed on demand")
	case "panic":
		panic("panicked on demand")
	case "sleep":
		d, _ := time.ParseDuration(ev.Sleep)
		time.Sleep(d)
	case "exit":
		os.Exit(ev.Code)
	case "spawn": // a grandchild that outlives nothing: Close must take it down too
		cmd := exec.Command("sleep", "60")
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		return map[string]int{"childPid": cmd.Process.Pid, "pid": os.Getpid()}, nil
	case "hangUntil": // a first attempt that only a kill ends
		if fctx.RetryCount < ev.N {
			select {}
		}
	case "failUntil":
		if fctx.RetryCount < ev.N {
			return nil, fmt.Errorf("retry %d < %d", fctx.RetryCount, ev.N)
		}
	}
	dl, _ := ctx.Deadline()
	env := map[string]string{}
	for _, k := range []string{"FC_FUNCTION_NAME", "FC_REGION", "FC_ACCOUNT_ID", "FC_FUNCTION_HANDLER", "FC_FUNCTION_MEMORY_SIZE", "APP_SETTING", "FC_RUNTIME_API", "ALIBABA_CLOUD_SECURITY_TOKEN", "HOST_SECRET"} {
		env[k] = os.Getenv(k)
	}
	return seen{
		Payload:    ev.Payload,
		RequestID:  fctx.RequestID,
		DeadlineMS: dl.UnixMilli(),
		Credentials: map[string]string{
			"accessKeyId": fctx.Credentials.AccessKeyId, "accessKeySecret": fctx.Credentials.AccessKeySecret,
			"securityToken": fctx.Credentials.SecurityToken,
		},
		EnvAK: os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"),
		Function: map[string]string{
			"name": fctx.Function.Name, "handler": fctx.Function.Handler, "memory": fctx.Function.Memory,
		},
		TimeoutS:   fctx.Function.Timeout,
		Region:     fctx.Region,
		AccountID:  fctx.AccountId,
		Qualifier:  fctx.Service.Qualifier,
		RetryCount: fctx.RetryCount,
		PID:        os.Getpid(),
		StartNS:    start,
		EndNS:      time.Now().UnixNano(),
		Env:        env,
	}, nil
}

// httpHandle answers an HTTP trigger event with what it saw, base64-encoded,
// and the status asked for in ?status=.
func httpHandle(raw json.RawMessage, fctx *fccontext.FcContext) (*events.HTTPTriggerResponse, error) {
	var ev events.HTTPTriggerEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	q := map[string]string{}
	if ev.QueryParameters != nil {
		q = *ev.QueryParameters
	}
	if q["fail"] != "" {
		return nil, errors.New("http failure on demand")
	}
	var body []byte
	if ev.Body != nil {
		body = []byte(*ev.Body)
		if ev.IsBase64Encoded != nil && *ev.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(*ev.Body)
			if err != nil {
				return nil, err
			}
			body = b
		}
	}
	out, err := json.Marshal(map[string]any{
		"event": ev, "body": body, "fcRequestId": fctx.RequestID,
	})
	if err != nil {
		return nil, err
	}
	status := 200
	fmt.Sscan(q["status"], &status)
	return &events.HTTPTriggerResponse{
		StatusCode:      status,
		Headers:         map[string]string{"Content-Type": "application/json", "X-Echo": q["name"]},
		IsBase64Encoded: true,
		Body:            base64.StdEncoding.EncodeToString(out),
	}, nil
}

func main() {
	fmt.Println("test function starting")
	fc.Start(handle)
}
