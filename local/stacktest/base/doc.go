// Package base is the dependency-free part of the test harness
// local/stacktest: the locked output buffer and waiting for a condition
// with a deadline. stacktest re-exports it; the packages stacktest itself
// imports (local/fcruntime, local/ossevents, …) use it in their own tests,
// where importing stacktest would be an import cycle.
package base
