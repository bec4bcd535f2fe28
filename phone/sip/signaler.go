// Package sip is the plain-SIP backend of the phone core (UDP, TCP, TLS),
// built on github.com/emiago/sipgo. It implements phone.Signaler: it
// registers accounts, places and receives calls, and reports what happens;
// media goes through phone/media. It never changes phone state itself.
package sip

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"switchboard/phone"
	"switchboard/phone/media"
)

// Config configures a Signaler.
type Config struct {
	// Listen is the host:port for direct-IP calls and the source of UDP
	// requests, e.g. "127.0.0.1:5060" or "0.0.0.0:0".
	Listen string
	// MediaIP is the address put in SDP; default: the Listen host, or the
	// address the OS routes to the peer when Listen is a wildcard.
	MediaIP    string
	RTPPortMin int
	RTPPortMax int
	Codecs     []string // preference; default media.DefaultCodecs (Opus, G.722, PCMU, PCMA)
	// InstanceID is the stable per-install UUID for +sip.instance (RFC 5626).
	InstanceID string
	UserAgent  string
	Logger     *slog.Logger
	// Trace logs every SIP message at debug level with Authorization
	// headers redacted.
	Trace bool
	// KeepAlive is the NAT/liveness keep-alive period (default 25 s).
	KeepAlive time.Duration
	// DirectIP accepts requests from anyone even while registered through a
	// registrar (otherwise only the registrar/proxy may send us requests).
	DirectIP bool
	// STUNServer ("host:port"), if set, tells account calls their public
	// RTP address (NAT). Direct-IP calls, usually on a LAN, do not use it.
	STUNServer string
}

// Signaler is the plain-SIP phone.Signaler.
type Signaler struct {
	cfg    Config
	log    *slog.Logger
	ua     *sipgo.UserAgent
	srv    *sipgo.Server
	client *sipgo.Client // UDP requests, from the listening socket
	stream *sipgo.Client // TCP/TLS requests, on connections by peer
	listen netip.AddrPort

	mu         sync.Mutex
	onIncoming func(phone.Incoming) phone.SessionHandler
	sessions   map[string]*session    // by SIP Call-ID
	trusted    map[string]trustedPeer // registrar/proxy address -> account
	clients    map[string]*sipgo.Client
	extraUAs   []*sipgo.UserAgent
}

type trustedPeer struct {
	accountID string
	udp       bool
	port      int
	acct      phone.Account // for inbound calls: codecs and SRTP policy
}

// New starts the SIP stack and listens on cfg.Listen (UDP and TCP). It
// stops when ctx ends.
func New(ctx context.Context, cfg Config) (*Signaler, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:5060"
	}
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = 25 * time.Second
	}
	if len(cfg.Codecs) == 0 {
		cfg.Codecs = media.DefaultCodecs
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "Switchboard"
	}
	if cfg.Trace {
		enableTrace(cfg.Logger)
	}
	s := &Signaler{cfg: cfg, log: cfg.Logger.With("component", "sip"),
		sessions: map[string]*session{}, trusted: map[string]trustedPeer{}, clients: map[string]*sipgo.Client{}}

	// Bind UDP first so port 0 picks a port TCP can share.
	udp, tcp := "udp", "tcp"
	if h, _, err := net.SplitHostPort(cfg.Listen); err == nil {
		if ip, err := netip.ParseAddr(h); err == nil && ip.Is4() {
			udp, tcp = "udp4", "tcp4" // 0.0.0.0 means IPv4, not Go's dual-stack [::]
		}
	}
	pc, ln, err := listenPair(udp, tcp, cfg.Listen)
	if err != nil {
		return nil, err
	}
	s.listen = pc.LocalAddr().(*net.UDPAddr).AddrPort()
	s.listen = netip.AddrPortFrom(s.listen.Addr().Unmap(), s.listen.Port())

	s.ua, err = sipgo.NewUA(sipgo.WithUserAgent(cfg.UserAgent),
		sipgo.WithUserAgentParser(sip.NewParser()))
	if err != nil {
		pc.Close()
		ln.Close()
		return nil, err
	}
	s.srv, err = sipgo.NewServer(s.ua, sipgo.WithServerLogger(s.log))
	if err != nil {
		return nil, err
	}
	s.client, err = sipgo.NewClient(s.ua, sipgo.WithClientHostname(s.host()),
		sipgo.WithClientConnectionAddr(s.listen.String()))
	if err != nil {
		return nil, err
	}
	if s.stream, err = sipgo.NewClient(s.ua, sipgo.WithClientHostname(s.host())); err != nil {
		return nil, err
	}
	s.routes(s.srv)
	go func() { _ = s.srv.ServeUDP(pc) }()
	go func() { _ = s.srv.ServeTCP(ln) }()
	// Requests leave from the listening socket, which sipgo finds in its
	// connection pool; until ServeUDP has put it there, a request would try
	// to bind a second socket on our port ("address already in use"). sipgo
	// has no readiness signal for a socket we pass in, so wait (bounded).
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(time.Millisecond) {
		if c, _ := s.ua.TransportLayer().GetConnection("udp", s.listen.String()); c != nil {
			break
		}
		if time.Now().After(deadline) {
			pc.Close()
			ln.Close()
			return nil, fmt.Errorf("SIP stack did not start listening on %s", s.listen)
		}
	}
	go func() {
		<-ctx.Done()
		s.ua.Close()
		s.mu.Lock()
		for _, ua := range s.extraUAs {
			ua.Close()
		}
		s.mu.Unlock()
		pc.Close()
		ln.Close()
	}()
	s.log.Info("SIP listening", "addr", s.listen.String())
	return s, nil
}

// listenPair binds UDP on addr and TCP on the same port. With port 0 the
// UDP port the system picks may be taken for TCP; then it tries another
// (a few times) rather than fail.
func listenPair(udp, tcp, addr string) (net.PacketConn, net.Listener, error) {
	_, port, _ := net.SplitHostPort(addr)
	for try := 0; ; try++ {
		pc, err := net.ListenPacket(udp, addr)
		if err != nil {
			return nil, nil, fmt.Errorf("listen for SIP on udp %s: %w", addr, err)
		}
		ln, err := net.Listen(tcp, pc.LocalAddr().String())
		if err == nil {
			return pc, ln, nil
		}
		pc.Close()
		if port != "0" || try == 9 {
			return nil, nil, fmt.Errorf("listen for SIP on tcp %s: %w", pc.LocalAddr(), err)
		}
	}
}

// Listen returns the direct-IP SIP address of this phone. On a wildcard
// listener it names the first non-loopback interface address, which is what
// another machine would dial.
func (s *Signaler) Listen() string {
	a := s.listen.Addr()
	if a.IsUnspecified() {
		a = firstInterfaceAddr(a.Is4())
	}
	return "sip:" + netip.AddrPortFrom(a, s.listen.Port()).String()
}

// firstInterfaceAddr returns the first up, non-loopback unicast address
// (IPv4 when v4), else loopback.
func firstInterfaceAddr(v4 bool) netip.Addr {
	ifs, _ := net.Interfaces()
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, ad := range addrs {
			pfx, err := netip.ParsePrefix(ad.String())
			if err != nil {
				continue
			}
			ip := pfx.Addr().Unmap()
			if ip.IsGlobalUnicast() && (ip.Is4() || !v4) {
				return ip
			}
		}
	}
	if v4 {
		return netip.MustParseAddr("127.0.0.1")
	}
	return netip.IPv6Loopback()
}

// SetIncoming installs the inbound-call callback.
func (s *Signaler) SetIncoming(f func(phone.Incoming) phone.SessionHandler) {
	s.mu.Lock()
	s.onIncoming = f
	s.mu.Unlock()
}

func (s *Signaler) host() string {
	if s.cfg.MediaIP != "" {
		return s.cfg.MediaIP
	}
	if a := s.listen.Addr(); !a.IsUnspecified() {
		return a.String()
	}
	return firstInterfaceAddr(s.listen.Addr().Is4()).String()
}

// localIPFor returns the address our packets to host leave from, so SDP and
// Contact never carry a wrong interface.
func (s *Signaler) localIPFor(host string) string {
	if s.cfg.MediaIP != "" {
		return s.cfg.MediaIP
	}
	if a := s.listen.Addr(); !a.IsUnspecified() {
		return a.String()
	}
	c, err := net.Dial("udp", net.JoinHostPort(host, "9"))
	if err != nil {
		return "127.0.0.1"
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).IP.String()
}

// clientFor returns (and caches) a sipgo client for an account, with TLS
// settings for its CA. UDP requests leave from the listening socket so the
// registrar's replies and calls reach the same port.
func (s *Signaler) clientFor(acct phone.Account) (*sipgo.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[acct.ID]; ok {
		return c, nil
	}
	opts := []sipgo.ClientOption{sipgo.WithClientHostname(s.host()), sipgo.WithClientLogger(s.log)}
	ua := s.ua
	switch acct.Transport {
	case phone.UDP, "":
		opts = append(opts, sipgo.WithClientConnectionAddr(s.listen.String()))
	case phone.TLS:
		// sipgo keeps TLS settings per user agent, so a TLS account gets its
		// own UA (and a server on it, so requests arriving on its
		// connection reach our handlers).
		t, err := accountTarget(acct)
		if err != nil {
			return nil, err
		}
		host, _, _ := net.SplitHostPort(t.dest)
		conf, err := tlsConfig(acct, host)
		if err != nil {
			return nil, err
		}
		if ua, err = sipgo.NewUA(sipgo.WithUserAgent(s.cfg.UserAgent), sipgo.WithUserAgenTLSConfig(conf)); err != nil {
			return nil, err
		}
		srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(s.log))
		if err != nil {
			return nil, err
		}
		s.routes(srv)
		s.extraUAs = append(s.extraUAs, ua)
	}
	c, err := sipgo.NewClient(ua, opts...)
	if err != nil {
		return nil, err
	}
	s.clients[acct.ID] = c
	return c, nil
}

// forgetClient drops an account's client (and its UA for TLS) so changed
// settings take effect on the next registration.
func (s *Signaler) forgetClient(id string) {
	s.mu.Lock()
	delete(s.clients, id)
	s.mu.Unlock()
}

// tlsConfig builds the TLS client config of an account: system roots plus
// its extra CA file; verification is always on.
func tlsConfig(acct phone.Account, serverName string) (*tls.Config, error) {
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
	return &tls.Config{RootCAs: roots, ServerName: serverName, MinVersion: tls.VersionTLS12}, nil
}

// target is where an account's requests go.
type target struct {
	uri       sip.Uri // Request-URI for REGISTER (registrar)
	dest      string  // host:port to send to
	transport string  // UDP, TCP, TLS
	domain    string
	user      string
	authUser  string
}

func accountTarget(acct phone.Account) (target, error) {
	aor, err := phone.ParseURI(acct.AOR)
	if err != nil {
		return target{}, err
	}
	t := target{domain: aor.Host, user: aor.User, authUser: acct.AuthUser}
	if t.authUser == "" {
		t.authUser = aor.User
	}
	reg := aor
	if acct.Registrar != "" {
		if reg, err = phone.ParseURI(acct.Registrar); err != nil {
			return target{}, err
		}
	}
	hop := reg
	if acct.OutboundProxy != "" {
		if hop, err = phone.ParseURI(acct.OutboundProxy); err != nil {
			return target{}, err
		}
	}
	tr := acct.Transport
	if tr == "" {
		tr = phone.UDP
	}
	t.transport = strings.ToUpper(string(tr))
	port := hop.Port
	if acct.Port != 0 {
		port = acct.Port
	}
	if port == 0 {
		port = 5060
		if tr == phone.TLS {
			port = 5061
		}
	}
	t.dest = net.JoinHostPort(hop.Host, strconv.Itoa(port))
	t.uri = sip.Uri{Scheme: "sip", Host: reg.Host, Port: reg.Port}
	if acct.Port != 0 && acct.OutboundProxy == "" {
		t.uri.Port = acct.Port
	}
	return t, nil
}

// trust records the registrar/proxy of an account as a legitimate sender.
func (s *Signaler) trust(acct phone.Account, t target, on bool) {
	host, portS, _ := net.SplitHostPort(t.dest)
	port, _ := strconv.Atoi(portS)
	ips, _ := net.DefaultResolver.LookupHost(context.Background(), host)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ip := range ips {
		key := ip + "|" + acct.ID
		if on {
			s.trusted[key] = trustedPeer{accountID: acct.ID, udp: t.transport == "UDP", port: port, acct: acct}
		} else {
			delete(s.trusted, key)
		}
	}
}

// account returns the registered account with id (nil in direct-IP mode or when
// unknown), for the media settings of inbound calls.
func (s *Signaler) account(id string) *phone.Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.trusted {
		if id != "" && p.accountID == id {
			a := p.acct
			return &a
		}
	}
	return nil
}

// fromTrusted says whether a request may come in, and for which account.
// With no registered account (direct-IP mode) everyone may call.
func (s *Signaler) fromTrusted(req *sip.Request) (accountID string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.trusted) == 0 || s.cfg.DirectIP {
		return "", true
	}
	host, portS, err := net.SplitHostPort(req.Source())
	if err != nil {
		return "", false
	}
	port, _ := strconv.Atoi(portS)
	for key, p := range s.trusted {
		if strings.HasPrefix(key, host+"|") && (!p.udp || req.Transport() != "UDP" || p.port == port) {
			return p.accountID, true
		}
	}
	return "", false
}
