// Package stacktest is the one harness of the end-to-end tests: it builds
// the function binaries and the local stack once per test process, starts
// the whole local stack (as a process, parsing its READY line, or in the
// test's process) or a single function under local/fcruntime, collects
// output in a locked buffer, and waits for a condition another process
// brings about without sleeping for a guessed time.
//
// It is test-only code: tests import it, nothing deployable does.
package stacktest
