package fcruntime

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/events"
)

func TestTimerEventShape(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.FixedZone("CST", 8*3600))
	var e events.TimerEvent
	if err := json.Unmarshal(TimerEvent("sweep", "p", at), &e); err != nil {
		t.Fatal(err)
	}
	if e.TriggerTime == nil || *e.TriggerTime != "2026-05-01T04:00:00Z" || e.TriggerName == nil || *e.TriggerName != "sweep" || e.Payload == nil || *e.Payload != "p" {
		t.Errorf("timer event %s", TimerEvent("sweep", "p", at))
	}
}

// The timer invokes the function asynchronously on every tick until the
// runtime closes.
func TestTimerFiresUntilClosed(t *testing.T) {
	done := make(chan AsyncResult, 16)
	rt, _ := newRuntime(t, Config{AsyncDone: func(r AsyncResult) { done <- r }}, testFunction("ticked"))
	if err := rt.StartTimer("ticked", "sweep", 20*time.Millisecond, ""); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if r := waitAsync(t, done); r.Function != "ticked" {
			t.Errorf("invoked %q", r.Function)
		}
	}
	if err := rt.StartTimer("nope", "sweep", time.Second, ""); err == nil {
		t.Error("timer of an unknown function accepted")
	}
	if err := rt.StartTimer("ticked", "sweep", 0, ""); err == nil {
		t.Error("zero interval accepted")
	}
	rt.Close()
	if err := rt.StartTimer("ticked", "sweep", time.Second, ""); err == nil {
		t.Error("timer started on a closed runtime")
	}
}
