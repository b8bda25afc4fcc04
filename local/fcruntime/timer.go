package fcruntime

import (
	"encoding/json"
	"fmt"
	"time"
)

// timerEvent is the event FC hands a function on a timer trigger's tick:
// {"triggerTime": RFC 3339 UTC, "triggerName": ..., "payload": ...}
// (fc-runtime-go-sdk v0.3.1 events/timer.go TimerEvent; FC 3.0 "Time
// triggers":
// https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/time-triggers).
type timerEvent struct {
	TriggerTime string `json:"triggerTime"`
	TriggerName string `json:"triggerName"`
	Payload     string `json:"payload"`
}

// TimerEvent returns the event of trigger's tick at t.
func TimerEvent(trigger, payload string, t time.Time) []byte {
	b, err := json.Marshal(timerEvent{TriggerTime: t.UTC().Format(time.RFC3339), TriggerName: trigger, Payload: payload})
	if err != nil {
		panic(err) // three strings always marshal
	}
	return b
}

// StartTimer invokes fn asynchronously every interval with trigger's timer
// event, as FC does for an enabled timer trigger, until the runtime is
// closed. Like FC it does not wait for one run to end before the next tick.
func (rt *Runtime) StartTimer(fn, trigger string, every time.Duration, payload string) error {
	if every <= 0 {
		return fmt.Errorf("timer %s of %s: interval %v is not positive", trigger, fn, every)
	}
	if _, err := rt.instance(fn); err != nil {
		return err
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.shut {
		return ErrClosed
	}
	rt.wg.Add(1)
	go func() {
		defer rt.wg.Done()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-rt.closed:
				return
			case <-tick.C:
				if _, err := rt.InvokeAsync(fn, TimerEvent(trigger, payload, rt.cfg.Now())); err != nil {
					rt.log.Warn("timer trigger not fired", "function", fn, "trigger", trigger, "error", err.Error())
				}
			}
		}
	}()
	return nil
}
