// Package testpeer starts real SIP peers for integration tests: a Kamailio
// registrar/proxy (UDP, TCP and TLS, digest auth, no database), baresip user
// agents controlled over ctrl_tcp that send a sine tone and record what they
// receive, and sipp. Everything listens on 127.0.0.1 on ports picked at run
// time, lives in t.TempDir() and is stopped by PID (process group) in
// t.Cleanup: SIGTERM, then SIGKILL after a timeout. Each process's stdout and
// stderr go to files that are dumped with t.Log when the test fails.
//
// A missing binary skips the test under -short and fails it otherwise, naming
// the Debian package to install (scripts/deps.sh test installs them all).
package testpeer
