// Package names holds a constant the scanner must resolve across packages.
package names

// Remote is an environment variable name held in a constant.
const Remote = "REMOTE_CONST_VAR"
