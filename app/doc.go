// Package app is Switchboard's application layer: typed, versioned settings
// stored through a tiny PrefStore (fyne.Preferences satisfies it), the
// SecretStore contract for account passwords with an in-memory
// implementation, the Secret type that never appears in logs, and
// TraceBuffer, the slog.Handler that keeps the recent (redacted) SIP
// messages for the trace viewer.
//
// It has no widgets, no cgo and no go-keyring, so ui may import it; the
// keyring-backed SecretStore lives in app/keyring.
package app
