package sip

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"

	"switchboard/phone"
)

// regReason turns a REGISTER failure status into words for the user.
// Sinch Elastic SIP Trunking gives some codes its own meaning.
func regReason(p phone.Provider, code int, phrase string) string {
	if p == phone.ProviderSinch {
		switch code {
		case 401:
			return "credentials do not match the Sinch trunk (401)"
		case 403:
			return "this IP address or domain is not allowed on the Sinch trunk (403)"
		case 404:
			return "wrong SIP domain for the Sinch trunk (404)"
		case 503:
			return "no active endpoint on the Sinch trunk (503)"
		case 603:
			return "over the Sinch calls-per-second limit (603)"
		}
	}
	switch {
	case code == 401 || code == 407:
		return "wrong password"
	case code == 403:
		return fmt.Sprintf("registration forbidden: wrong user or password, or this device is not allowed (403 %s)", phrase)
	case code == 404 || code == 604:
		return "unknown user or wrong domain"
	case code == 603 && strings.Contains(strings.ToLower(phrase), "contact"):
		return "too many devices registered (603)"
	case code == 603:
		return fmt.Sprintf("registration declined (603 %s)", phrase)
	case code == 423:
		return "registrar wants a longer registration interval (423)"
	case code == 408:
		return "registrar did not answer (408 timeout)"
	case code >= 500:
		return fmt.Sprintf("registrar is having trouble (%d %s)", code, phrase)
	}
	return fmt.Sprintf("registration failed (%d %s)", code, phrase)
}

// netReason describes a transport error for the user, TLS problems first.
func netReason(err error) string {
	var unknown x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var recErr tls.RecordHeaderError
	var opErr *net.OpError
	switch {
	case errors.As(err, &unknown):
		return "TLS certificate is not trusted (unknown authority); add the server's CA to the account"
	case errors.As(err, &hostErr):
		return "TLS certificate does not match the server name: " + hostErr.Error()
	case errors.As(err, &invalid):
		return "TLS certificate is invalid: " + invalid.Error()
	case errors.As(err, &recErr):
		return "server did not speak TLS on that port"
	case strings.Contains(err.Error(), "certificate"):
		return "TLS certificate problem: " + err.Error()
	case errors.As(err, &opErr) && strings.Contains(err.Error(), "refused"):
		return "registrar refused the connection (is it running on that port?)"
	case strings.Contains(err.Error(), "no such host"):
		return "registrar host name not found"
	case errors.Is(err, errTimeout) || strings.Contains(err.Error(), "timeout") || strings.Contains(err.Error(), "deadline"):
		return "registrar did not answer (timeout)"
	}
	return "network error: " + err.Error()
}

var errTimeout = errors.New("timeout")
