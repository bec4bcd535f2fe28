package testpeer

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Response is a SIP response read by SendRequest.
type Response struct {
	Status int                  // e.g. 200, 401
	Reason string               // reason phrase
	Header textproto.MIMEHeader // header fields, canonicalised keys ("Www-Authenticate")
	Body   string
	Raw    string // the whole message as received
}

// SendRequest sends one out-of-dialog SIP request (method to requestURI)
// over transport "udp", "tcp" or "tls" to addr (host:port) and returns the
// first final response (provisional ones are skipped). Via, From, To,
// Call-ID, CSeq, Max-Forwards and Content-Length are generated; headers
// adds whole extra header lines ("Contact: <sip:x@127.0.0.1:5099>"); a
// "From:" or "To:" line given there replaces the generated one. For "tls",
// tlsConf must be given (see (*Kamailio).TLSConfig). UDP requests are
// retransmitted every 500 ms until ctx ends.
func SendRequest(ctx context.Context, transport, addr string, tlsConf *tls.Config, method, requestURI string, headers ...string) (*Response, error) {
	return SendRequestAuth(ctx, transport, addr, tlsConf, "", "", method, requestURI, headers...)
}

// SendRequestAuth is SendRequest with digest authentication: a 401 or 407
// answer is retried once, on the same connection, with credentials for user
// and password (MD5 or SHA-256 as challenged, qop=auth if offered).
func SendRequestAuth(ctx context.Context, transport, addr string, tlsConf *tls.Config, user, password, method, requestURI string, headers ...string) (*Response, error) {
	c, err := dialSIP(ctx, transport, addr, tlsConf)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	callID := randHex(8) + "@testpeer"
	fromTag := randHex(4)
	r, err := c.roundTrip(ctx, buildRequest(c, method, requestURI, callID, fromTag, 1, headers))
	if err != nil || user == "" || (r.Status != 401 && r.Status != 407) {
		return r, err
	}
	chName, authName := "Www-Authenticate", "Authorization"
	if r.Status == 407 {
		chName, authName = "Proxy-Authenticate", "Proxy-Authorization"
	}
	auth, err := digestAuthorization(r.Header.Get(chName), user, password, method, requestURI)
	if err != nil {
		return r, err
	}
	h := append(append([]string(nil), headers...), authName+": "+auth)
	return c.roundTrip(ctx, buildRequest(c, method, requestURI, callID, fromTag, 2, h))
}

type sipConn struct {
	transport string
	conn      net.Conn
	br        *bufio.Reader
}

func (c *sipConn) Close() error { return c.conn.Close() }

func dialSIP(ctx context.Context, transport, addr string, tlsConf *tls.Config) (*sipConn, error) {
	transport = strings.ToLower(transport)
	var d net.Dialer
	var conn net.Conn
	var err error
	switch transport {
	case "udp":
		conn, err = d.DialContext(ctx, "udp4", addr)
	case "tcp":
		conn, err = d.DialContext(ctx, "tcp4", addr)
	case "tls":
		if tlsConf == nil {
			return nil, fmt.Errorf("testpeer: tls needs a *tls.Config")
		}
		td := tls.Dialer{NetDialer: &d, Config: tlsConf}
		conn, err = td.DialContext(ctx, "tcp4", addr)
	default:
		return nil, fmt.Errorf("testpeer: unknown transport %q", transport)
	}
	if err != nil {
		return nil, err
	}
	return &sipConn{transport: transport, conn: conn, br: bufio.NewReader(conn)}, nil
}

func buildRequest(c *sipConn, method, requestURI, callID, fromTag string, cseq int, headers []string) []byte {
	local := c.conn.LocalAddr().String()
	has := func(name string) bool {
		for _, h := range headers {
			if strings.HasPrefix(strings.ToLower(h), name) {
				return true
			}
		}
		return false
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s SIP/2.0\r\n", method, requestURI)
	fmt.Fprintf(&b, "Via: SIP/2.0/%s %s;branch=z9hG4bK%s;rport\r\n", strings.ToUpper(c.transport), local, randHex(8))
	fmt.Fprintf(&b, "Max-Forwards: 70\r\n")
	if !has("from:") {
		fmt.Fprintf(&b, "From: <sip:testpeer@%s>;tag=%s\r\n", hostOf(requestURI), fromTag)
	}
	if !has("to:") {
		fmt.Fprintf(&b, "To: <%s>\r\n", requestURI)
	}
	fmt.Fprintf(&b, "Call-ID: %s\r\n", callID)
	fmt.Fprintf(&b, "CSeq: %d %s\r\n", cseq, method)
	for _, h := range headers {
		h = strings.TrimRight(h, "\r\n")
		if strings.HasPrefix(strings.ToLower(h), "from:") && !strings.Contains(h, "tag=") {
			h += ";tag=" + fromTag
		}
		b.WriteString(h + "\r\n")
	}
	b.WriteString("User-Agent: switchboard-testpeer\r\nContent-Length: 0\r\n\r\n")
	return []byte(b.String())
}

// roundTrip sends msg and returns the first final response.
func (c *sipConn) roundTrip(ctx context.Context, msg []byte) (*Response, error) {
	fail := func(err error) (*Response, error) {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if _, err := c.conn.Write(msg); err != nil {
		return fail(err)
	}
	if c.transport != "udp" {
		for {
			r, err := parseResponse(c.br)
			if err != nil {
				return fail(err)
			}
			if r.Status >= 200 {
				return r, nil
			}
		}
	}
	buf := make([]byte, 65535)
	for {
		c.conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		n, err := c.conn.Read(buf)
		if ne, ok := err.(net.Error); ok && ne.Timeout() && ctx.Err() == nil {
			c.conn.Write(msg) // retransmit
			continue
		}
		if err != nil {
			return fail(err)
		}
		r, err := parseResponse(bufio.NewReader(strings.NewReader(string(buf[:n]))))
		if err != nil {
			return nil, err
		}
		if r.Status >= 200 {
			return r, nil
		}
	}
}

// digestAuthorization answers a Digest challenge (RFC 2617/8760).
func digestAuthorization(challenge, user, password, method, uri string) (string, error) {
	ch, ok := strings.CutPrefix(strings.TrimSpace(challenge), "Digest ")
	if !ok {
		return "", fmt.Errorf("testpeer: not a Digest challenge: %q", challenge)
	}
	p := parseAuthParams(ch)
	algo := p["algorithm"]
	var h func(string) string
	switch strings.ToUpper(algo) {
	case "", "MD5":
		h = func(s string) string { x := md5.Sum([]byte(s)); return hex.EncodeToString(x[:]) }
	case "SHA-256":
		h = func(s string) string { x := sha256.Sum256([]byte(s)); return hex.EncodeToString(x[:]) }
	default:
		return "", fmt.Errorf("testpeer: digest algorithm %q not supported", algo)
	}
	realm, nonce := p["realm"], p["nonce"]
	ha1 := h(user + ":" + realm + ":" + password)
	ha2 := h(method + ":" + uri)
	var b strings.Builder
	fmt.Fprintf(&b, `Digest username="%s", realm="%s", nonce="%s", uri="%s"`, user, realm, nonce, uri)
	qops := strings.Split(p["qop"], ",")
	useQop := false
	for _, q := range qops {
		if strings.TrimSpace(q) == "auth" {
			useQop = true
		}
	}
	if useQop {
		cnonce, nc := randHex(8), "00000001"
		fmt.Fprintf(&b, `, response="%s", qop=auth, nc=%s, cnonce="%s"`, h(ha1+":"+nonce+":"+nc+":"+cnonce+":auth:"+ha2), nc, cnonce)
	} else {
		fmt.Fprintf(&b, `, response="%s"`, h(ha1+":"+nonce+":"+ha2))
	}
	if algo != "" {
		fmt.Fprintf(&b, ", algorithm=%s", algo)
	}
	if op, ok := p["opaque"]; ok {
		fmt.Fprintf(&b, `, opaque="%s"`, op)
	}
	return b.String(), nil
}

// parseAuthParams splits `a="x, y", b=z` into a map (keys lower-case).
func parseAuthParams(s string) map[string]string {
	m := map[string]string{}
	for len(s) > 0 {
		s = strings.TrimLeft(s, " ,\t")
		k, rest, ok := strings.Cut(s, "=")
		if !ok {
			break
		}
		k = strings.ToLower(strings.TrimSpace(k))
		rest = strings.TrimLeft(rest, " ")
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := strings.Index(rest[1:], `"`)
			if end < 0 {
				v, s = rest[1:], ""
			} else {
				v, s = rest[1:1+end], rest[2+end:]
			}
		} else {
			v, s, _ = strings.Cut(rest, ",")
			v = strings.TrimSpace(v)
		}
		m[k] = v
	}
	return m
}

// parseResponse reads one SIP response (status line, headers, body by
// Content-Length) from br, skipping CRLF keep-alives.
func parseResponse(br *bufio.Reader) (*Response, error) {
	var raw strings.Builder
	tp := textproto.NewReader(br)
	line := ""
	for line == "" {
		l, err := tp.ReadLine()
		if err != nil {
			return nil, err
		}
		line = strings.TrimSpace(l)
	}
	raw.WriteString(line + "\r\n")
	parts := strings.SplitN(line, " ", 3)
	if len(parts) < 2 || !strings.HasPrefix(parts[0], "SIP/2.0") {
		return nil, fmt.Errorf("testpeer: not a SIP response: %q", line)
	}
	code, err := strconv.Atoi(parts[1])
	if err != nil {
		return nil, fmt.Errorf("testpeer: bad status line %q", line)
	}
	r := &Response{Status: code, Header: textproto.MIMEHeader{}}
	if len(parts) == 3 {
		r.Reason = parts[2]
	}
	for {
		l, err := tp.ReadLine()
		if err != nil {
			return nil, err
		}
		raw.WriteString(l + "\r\n")
		if l == "" {
			break
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		k = expandCompact(strings.TrimSpace(k))
		r.Header.Add(k, strings.TrimSpace(v))
	}
	if cl, _ := strconv.Atoi(r.Header.Get("Content-Length")); cl > 0 {
		body := make([]byte, cl)
		if _, err := io.ReadFull(br, body); err != nil {
			return nil, err
		}
		r.Body = string(body)
		raw.Write(body)
	}
	r.Raw = raw.String()
	return r, nil
}

func expandCompact(k string) string {
	switch strings.ToLower(k) {
	case "l":
		return "Content-Length"
	case "v":
		return "Via"
	case "f":
		return "From"
	case "t":
		return "To"
	case "i":
		return "Call-ID"
	case "m":
		return "Contact"
	case "c":
		return "Content-Type"
	}
	return k
}

func hostOf(uri string) string {
	s := uri
	if i := strings.Index(s, ":"); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.Index(s, "@"); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.IndexAny(s, ";>?"); i >= 0 {
		s = s[:i]
	}
	return s
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// SendUDP sends each datagram as is from a fresh 127.0.0.1 socket to addr,
// for malformed-packet tests. It fails the test on a send error; replies are
// not read.
func SendUDP(t testing.TB, addr string, datagrams [][]byte) {
	t.Helper()
	conn, err := net.Dial("udp4", addr)
	if err != nil {
		t.Fatalf("testpeer: SendUDP: %v", err)
	}
	defer conn.Close()
	for i, d := range datagrams {
		if _, err := conn.Write(d); err != nil {
			t.Fatalf("testpeer: SendUDP datagram %d: %v", i, err)
		}
	}
}
