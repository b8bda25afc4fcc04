//go:build unix && !linux

package fcruntime

import "syscall"

// sysProcAttr puts the child in its own process group so the whole group
// can be killed.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
