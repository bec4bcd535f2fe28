// Package webrtc is the WebRTC backend of the phone core: SIP over
// WebSocket (RFC 7118, ws and wss) through github.com/emiago/sipgo, and media
// through one github.com/pion/webrtc PeerConnection per call (ICE,
// DTLS-SRTP, rtcp-mux; Opus, PCMU, PCMA, telephone-event). It implements
// phone.Signaler for accounts whose transport is ws or wss; audio is encoded
// with audio/codec and played through phone/media's jitter buffer, like
// plain SIP calls. Calls move like plain SIP ones (transfer.go): REFER and
// NOTIFY both ways, Replaces, 302, INFO, and RingCentral's call control.
package webrtc

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	pwebrtc "github.com/pion/webrtc/v4"

	"switchboard/phone"
)

// Config configures a Signaler.
type Config struct {
	// InstanceID is the stable per-install UUID sent as +sip.instance.
	InstanceID string
	UserAgent  string
	Logger     *slog.Logger
	// KeepAlive is the CRLF keep-alive period on the websocket (default 25 s).
	KeepAlive time.Duration
	// Codecs is the preference order (default opus, PCMU, PCMA).
	Codecs []string
	// LoopbackOnly gathers only 127.0.0.1 host candidates (tests on one
	// machine; webrtc-notes 15).
	LoopbackOnly bool
	// ICE UDP port range (0: any).
	PortMin, PortMax uint16
	// GatherTimeout bounds ICE gathering before an offer or answer is sent
	// (default 3 s): offers are not trickled.
	GatherTimeout time.Duration
}

// Signaler is the WebRTC phone.Signaler.
type Signaler struct {
	cfg Config
	log *slog.Logger

	mu         sync.Mutex
	onIncoming func(phone.Incoming) phone.SessionHandler
	lines      map[string]*line    // by account ID
	sessions   map[string]*session // by Call-ID
}

var _ phone.Signaler = (*Signaler)(nil)

// New returns a WebRTC signaler. It holds no sockets until an account registers or dials.
func New(cfg Config) *Signaler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = 25 * time.Second
	}
	if len(cfg.Codecs) == 0 {
		cfg.Codecs = []string{"opus", "PCMU", "PCMA"}
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "Switchboard"
	}
	return &Signaler{cfg: cfg, log: cfg.Logger.With("component", "webrtc"),
		lines: map[string]*line{}, sessions: map[string]*session{}}
}

// Listen returns "": WebRTC accounts take no direct-IP calls.
func (s *Signaler) Listen() string { return "" }

// SetIncoming installs the inbound-call callback.
func (s *Signaler) SetIncoming(f func(phone.Incoming) phone.SessionHandler) {
	s.mu.Lock()
	s.onIncoming = f
	s.mu.Unlock()
}

// target is where an account's websocket goes.
type target struct {
	transport string // WS or WSS
	host      string // for TLS verification and SNI
	dest      string // host:port
	path      string
	domain    string
	user      string
	authUser  string
}

// accountTarget reads the websocket server of acct: OutboundProxy as a
// ws:// or wss:// URL (path kept), else the registrar (or AOR domain) and
// port, with the account's transport.
func accountTarget(acct phone.Account) (target, error) {
	aor, err := phone.ParseURI(acct.AOR)
	if err != nil {
		return target{}, err
	}
	t := target{domain: aor.Host, user: aor.User, authUser: acct.AuthUser, path: "/",
		transport: strings.ToUpper(string(acct.Transport))}
	if t.authUser == "" {
		t.authUser = aor.User
	}
	if t.transport != "WS" && t.transport != "WSS" {
		return target{}, fmt.Errorf("transport %q is not ws or wss", acct.Transport)
	}
	port := 0
	switch {
	case strings.HasPrefix(acct.OutboundProxy, "ws://"), strings.HasPrefix(acct.OutboundProxy, "wss://"):
		u, err := url.Parse(acct.OutboundProxy)
		if err != nil {
			return target{}, fmt.Errorf("outbound proxy: %w", err)
		}
		t.transport = strings.ToUpper(u.Scheme)
		t.host = u.Hostname()
		port, _ = strconv.Atoi(u.Port())
		if u.Path != "" {
			t.path = u.Path
		}
	default:
		hop := aor
		if acct.Registrar != "" {
			if hop, err = phone.ParseURI(acct.Registrar); err != nil {
				return target{}, err
			}
		}
		if acct.OutboundProxy != "" {
			if hop, err = phone.ParseURI(acct.OutboundProxy); err != nil {
				return target{}, err
			}
		}
		t.host, port = hop.Host, hop.Port
	}
	if acct.Port != 0 {
		port = acct.Port
	}
	if port == 0 {
		port = 80
		if t.transport == "WSS" {
			port = 443
		}
	}
	t.dest = net.JoinHostPort(t.host, strconv.Itoa(port))
	return t, nil
}

// tlsConfig verifies the server against the system roots plus the
// account's extra CA; verification is never off.
func tlsConfig(acct phone.Account, host string) (*tls.Config, error) {
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	if acct.CAFile != "" {
		pem, err := os.ReadFile(acct.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", acct.CAFile)
		}
	}
	return &tls.Config{RootCAs: roots, ServerName: host, MinVersion: tls.VersionTLS12}, nil
}

// line is one account's SIP user agent: its websocket, client and the
// server that handles requests arriving on that websocket.
type line struct {
	s       *Signaler
	acct    phone.Account
	pw      string
	t       target
	ua      *sipgo.UserAgent
	client  *sipgo.Client
	contact sip.ContactHeader
	log     *slog.Logger

	mu     sync.Mutex
	callID string
	cseq   uint32
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newLine builds the user agent of an account.
func (s *Signaler) newLine(acct phone.Account, pw string) (*line, error) {
	t, err := accountTarget(acct)
	if err != nil {
		return nil, err
	}
	path := t.path
	wsT := &sip.TransportWS{DialURI: func(addr string) string { return "ws://" + addr + path }}
	wssT := &sip.TransportWSS{TransportWS: &sip.TransportWS{DialURI: func(addr string) string { return "wss://" + addr + path }}}
	opts := []sipgo.UserAgentOption{sipgo.WithUserAgent(s.cfg.UserAgent), sipgo.WithUserAgentHostname(t.domain),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerTransports(sip.TransportsConfig{WS: wsT, WSS: wssT}))}
	if t.transport == "WSS" {
		conf, err := tlsConfig(acct, t.host)
		if err != nil {
			return nil, err
		}
		opts = append(opts, sipgo.WithUserAgenTLSConfig(conf))
	}
	ua, err := sipgo.NewUA(opts...)
	if err != nil {
		return nil, err
	}
	l := &line{s: s, acct: acct, pw: pw, t: t, ua: ua, log: s.log.With("account", acct.ID),
		callID: randomToken(12), cseq: uint32(mrand.IntN(1000)) + 1}
	// Requests the server sends over our websocket (INVITE, BYE, MESSAGE)
	// reach the handlers of a server on the same UA.
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(l.log))
	if err != nil {
		ua.Close()
		return nil, err
	}
	s.routes(srv, l)
	if l.client, err = sipgo.NewClient(ua, sipgo.WithClientLogger(l.log), sipgo.WithClientHostname(randomToken(6)+".invalid")); err != nil {
		ua.Close()
		return nil, err
	}
	// RFC 7118 §5: the Contact host is unreachable anyway; .invalid says so.
	l.contact = sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: randomToken(4), Host: randomToken(6) + ".invalid",
		UriParams: sip.NewParams()}, Params: sip.NewParams()}
	l.contact.Address.UriParams.Add("transport", strings.ToLower(t.transport))
	if s.cfg.InstanceID != "" {
		l.contact.Params.Add("+sip.instance", `"<urn:uuid:`+s.cfg.InstanceID+`>"`)
	}
	return l, nil
}

func (l *line) close() { l.ua.Close() }

// wsAddr is the pool key of the websocket: the server's resolved IP and port.
func (l *line) wsAddr(ctx context.Context) string {
	if ips, err := net.DefaultResolver.LookupHost(ctx, l.t.host); err == nil && len(ips) > 0 {
		return net.JoinHostPort(ips[0], portOf(l.t.dest))
	}
	return l.t.dest
}

// conn returns the open websocket to addr (from wsAddr), or nil.
func (l *line) conn(addr string) sip.Connection {
	c, err := l.ua.TransportLayer().GetConnection(strings.ToLower(l.t.transport), addr)
	if err != nil {
		return nil
	}
	return c
}

func portOf(hostport string) string {
	_, p, _ := net.SplitHostPort(hostport)
	return p
}

// keepAlive sends a CRLF pair on the websocket (RFC 5626 §4.4.1); false
// when there is no open websocket.
func (l *line) keepAlive(addr string) bool {
	c := l.conn(addr)
	if c == nil {
		return false
	}
	w, ok := c.(interface{ Write([]byte) (int, error) })
	if !ok {
		return true
	}
	_, err := w.Write([]byte("\r\n\r\n"))
	return err == nil
}

// aor is the account's address of record.
func (l *line) aor() sip.Uri { return sip.Uri{Scheme: "sip", User: l.t.user, Host: l.t.domain} }

// prepare sets where a request goes: over the account's websocket.
func (l *line) prepare(req *sip.Request) {
	req.SetTransport(l.t.transport)
	req.SetDestination(l.t.dest)
}

var errNoResponse = errors.New("the connection closed before the server answered")

// do sends a request and waits (bounded) for its final response.
func (l *line) do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := l.client.Do(ctx, req)
	if err == nil && res == nil {
		err = errNoResponse
	}
	return res, err
}

// pionICEServers converts the account's ICE server URLs.
func pionICEServers(acct phone.Account) []pwebrtc.ICEServer {
	if len(acct.ICEServers) == 0 {
		return nil
	}
	return []pwebrtc.ICEServer{{URLs: acct.ICEServers}}
}

// mediaConfigFor is the media setup of a call on acct.
func (s *Signaler) mediaConfigFor(acct *phone.Account, callID string) mediaConfig {
	mc := mediaConfig{codecs: s.cfg.Codecs, loopback: s.cfg.LoopbackOnly, portMin: s.cfg.PortMin, portMax: s.cfg.PortMax,
		gather: s.cfg.GatherTimeout, log: s.log.With("call", callID)}
	if acct != nil {
		if len(acct.Codecs) > 0 {
			mc.codecs = acct.Codecs
		}
		mc.iceServers = pionICEServers(*acct)
	}
	return mc
}
