package e2e_test

import "syscall"

// procAttr makes the processes under test die with the test binary, even
// when it is killed (a test timeout), so that none outlives the run.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
