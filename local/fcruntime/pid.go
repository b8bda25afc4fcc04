package fcruntime

// PID is the process id of fn's running process, or 0 when none runs (or
// fn is unknown). Tests read the process's memory figures with it.
func (rt *Runtime) PID(fn string) int {
	in, err := rt.instance(fn)
	if err != nil {
		return 0
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.cur == nil || in.cur.hasExited() || in.cur.cmd.Process == nil {
		return 0
	}
	return in.cur.cmd.Process.Pid
}
