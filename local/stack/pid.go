package stack

// FunctionPID is the process id of the function named name (its s.yaml
// functionName, e.g. "ossupload-sign") while it runs, else 0. Load tools
// read the process's memory figures with it.
func (s *Stack) FunctionPID(name string) int {
	if s.runtime == nil {
		return 0
	}
	return s.runtime.PID(name)
}
