package fcruntime

import "syscall"

// sysProcAttr puts the child in its own process group (so the whole group
// can be killed) and has the kernel kill it if this process dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
