package testpeer

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"text/template"
	"time"
)

// KamailioOptions configures StartKamailio.
type KamailioOptions struct {
	// Users maps user name to password; they may REGISTER and call each
	// other. Names use letters, digits and . _ + - only; passwords may use
	// any printable ASCII.
	Users map[string]string
	// Domain is the SIP domain and digest realm; default "switchboard.test".
	Domain string
	// Algorithm is the digest algorithm of the challenges: "MD5" (default)
	// or "SHA-256" (RFC 8760; kamailio's auth module "algorithm" parameter).
	Algorithm string
	// NoQop challenges without qop (RFC 2069 style); default is qop="auth".
	NoQop bool
	// Debug is kamailio's log level (default 2 = info; 3 = debug logs every
	// message).
	Debug int
	// ReadyTimeout bounds start-up (default 20 s).
	ReadyTimeout time.Duration
	// WebSocket adds SIP over WebSocket listeners (RFC 7118): ws on WSAddr
	// and wss (same certificate as TLS) on WSSAddr, with the NAT handling
	// WebSocket clients need (webrtc-notes 9-12).
	WebSocket bool
	// Rtpengine, if set, anchors every call's media in it, bridging
	// WebRTC legs (ws/wss: ICE, DTLS-SRTP, rtcp-mux) and plain RTP legs
	// (webrtc-notes 13).
	Rtpengine *Rtpengine
}

// Kamailio is a running Kamailio registrar/proxy started by StartKamailio.
type Kamailio struct {
	// UDPAddr, TCPAddr and TLSAddr are "127.0.0.1:port" listen addresses.
	// UDP and TCP share one port number.
	UDPAddr, TCPAddr, TLSAddr string
	// WSAddr and WSSAddr are the WebSocket listeners ("127.0.0.1:port",
	// path "/") when KamailioOptions.WebSocket is set.
	WSAddr, WSSAddr string
	// Domain is the served SIP domain and digest realm.
	Domain string
	// CAFile is the PEM CA certificate that signed the TLS server
	// certificate (IP SAN 127.0.0.1, DNS SAN Domain); clients trust it.
	CAFile string
	// Dir is the temporary directory holding the config, certs and log.
	Dir string
	// CfgPath is the generated kamailio.cfg; LogPath its stdout+stderr.
	CfgPath, LogPath string

	opt  KamailioOptions
	bin  string
	proc *process
}

// kamailioModules are the module directories kamailio packages use.
var kamailioModuleGlobs = []string{
	"/usr/lib/*/kamailio/modules",
	"/usr/lib/kamailio/modules",
	"/usr/lib64/kamailio/modules",
	"/usr/local/lib*/kamailio/modules",
}

func kamailioModuleDir() string {
	for _, g := range kamailioModuleGlobs {
		m, _ := filepath.Glob(filepath.Join(g, "tm.so"))
		if len(m) > 0 {
			return filepath.Dir(m[0])
		}
	}
	return ""
}

// StartKamailio generates a config for opt, starts kamailio in the
// foreground (-DD -E) in its own process group and waits until it answers
// OPTIONS on UDP, TCP and TLS. It is stopped in t.Cleanup.
func StartKamailio(t testing.TB, opt KamailioOptions) *Kamailio {
	t.Helper()
	bin := requireBinary(t, "kamailio", "kamailio")
	mdir := kamailioModuleDir()
	if mdir != "" {
		if _, err := os.Stat(filepath.Join(mdir, "tls.so")); err != nil {
			missing(t, "kamailio tls module (tls.so) not found in "+mdir, "kamailio-tls-modules")
		}
		if _, err := os.Stat(filepath.Join(mdir, "websocket.so")); err != nil && opt.WebSocket {
			missing(t, "kamailio websocket module (websocket.so) not found in "+mdir, "kamailio-websocket-modules")
		}
	}
	if opt.Domain == "" {
		opt.Domain = "switchboard.test"
	}
	switch strings.ToUpper(opt.Algorithm) {
	case "", "MD5":
		opt.Algorithm = ""
	case "SHA-256", "SHA256":
		opt.Algorithm = "SHA-256"
	default:
		t.Fatalf("testpeer: unsupported digest algorithm %q", opt.Algorithm)
	}
	if opt.Debug == 0 {
		opt.Debug = 2
	}
	if opt.ReadyTimeout == 0 {
		opt.ReadyTimeout = 20 * time.Second
	}
	dir := t.TempDir()
	certs, err := writeCerts(dir, opt.Domain)
	if err != nil {
		t.Fatalf("testpeer: certs: %v", err)
	}
	k := &Kamailio{
		Domain:  opt.Domain,
		CAFile:  certs.CA,
		Dir:     dir,
		CfgPath: filepath.Join(dir, "kamailio.cfg"),
		LogPath: filepath.Join(dir, "kamailio.log"),
		opt:     opt,
		bin:     bin,
	}
	port := FreePort(t, "udp+tcp")
	tlsPort := FreePort(t, "tcp")
	for tlsPort == port {
		tlsPort = FreePort(t, "tcp")
	}
	k.UDPAddr = fmt.Sprintf("127.0.0.1:%d", port)
	k.TCPAddr = k.UDPAddr
	k.TLSAddr = fmt.Sprintf("127.0.0.1:%d", tlsPort)
	if opt.WebSocket {
		used := map[int]bool{port: true, tlsPort: true}
		for _, a := range []*string{&k.WSAddr, &k.WSSAddr} {
			p := FreePort(t, "tcp")
			for used[p] {
				p = FreePort(t, "tcp")
			}
			used[p] = true
			*a = fmt.Sprintf("127.0.0.1:%d", p)
		}
	}
	cfg, err := kamailioConfig(k, port, tlsPort, certs, mdir)
	if err != nil {
		t.Fatalf("testpeer: kamailio cfg: %v", err)
	}
	if err := os.WriteFile(k.CfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		k.Stop()
		if t.Failed() {
			dumpLog(t, "kamailio log", k.LogPath)
		}
	})
	k.Start(t)
	return k
}

// Start (re)starts kamailio with the same config and ports, e.g. after Stop;
// its memory is fresh, so all registrations are lost. It waits until an
// OPTIONS ping on UDP is answered (and TCP/TLS accept connections).
func (k *Kamailio) Start(t testing.TB) {
	t.Helper()
	if k.proc != nil {
		if done, _ := k.proc.exited(); !done {
			t.Fatalf("testpeer: kamailio already running")
		}
	}
	rundir := filepath.Join(k.Dir, "run")
	os.MkdirAll(rundir, 0o755)
	args := []string{"-DD", "-E", "-f", k.CfgPath, "-Y", rundir, "-m", "64", "-M", "8"}
	ctx, cancel := context.WithTimeout(context.Background(), k.opt.ReadyTimeout)
	defer cancel()
	var lastErr error
	// A just-stopped instance may leave a port in a short bind race; retry
	// an early exit twice within the deadline.
	for attempt := 0; attempt < 3 && ctx.Err() == nil; attempt++ {
		p, err := startProcess("kamailio", k.LogPath, k.Dir, k.bin, args...)
		if err != nil {
			t.Fatalf("testpeer: start kamailio: %v", err)
		}
		k.proc = p
		lastErr = k.waitReady(ctx)
		if lastErr == nil {
			return
		}
		if done, _ := p.exited(); !done {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
	k.Stop()
	dumpLog(t, "kamailio log", k.LogPath)
	t.Fatalf("testpeer: kamailio not ready within %v: %v", k.opt.ReadyTimeout, lastErr)
}

// waitReady polls OPTIONS over UDP until answered, the process exits or ctx
// ends; then checks TCP and TLS.
func (k *Kamailio) waitReady(ctx context.Context) error {
	var last error
	for {
		if done, err := k.proc.exited(); done {
			return fmt.Errorf("kamailio exited: %v", err)
		}
		pctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		code, err := k.Options(pctx, "udp")
		cancel()
		if err == nil && code == 200 {
			break
		}
		if err == nil {
			err = fmt.Errorf("OPTIONS answered %d", code)
		}
		last = err
		if ctx.Err() != nil {
			return fmt.Errorf("%v (last: %v)", ctx.Err(), last)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, tr := range []string{"tcp", "tls"} {
		for {
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			code, err := k.Options(pctx, tr)
			cancel()
			if err == nil && code == 200 {
				break
			}
			if ctx.Err() != nil {
				return fmt.Errorf("%s not ready: %v / %d", tr, err, code)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

// Stop stops kamailio (SIGTERM to its process group, SIGKILL after
// StopTimeout). Start can bring it back on the same ports.
func (k *Kamailio) Stop() {
	if k.proc != nil {
		k.proc.stop()
	}
}

// Addr returns the listen address for transport "udp", "tcp" or "tls".
func (k *Kamailio) Addr(transport string) string {
	switch strings.ToLower(transport) {
	case "tcp":
		return k.TCPAddr
	case "tls":
		return k.TLSAddr
	}
	return k.UDPAddr
}

// URI returns the proxy's SIP URI for transport, e.g.
// "sip:127.0.0.1:5060;transport=tcp" (usable as an outbound proxy).
func (k *Kamailio) URI(transport string) string {
	transport = strings.ToLower(transport)
	if transport == "" {
		transport = "udp"
	}
	return fmt.Sprintf("sip:%s;transport=%s", k.Addr(transport), transport)
}

// TLSConfig returns a client *tls.Config trusting CAFile, with ServerName
// 127.0.0.1 (the certificate's IP SAN).
func (k *Kamailio) TLSConfig() *tls.Config {
	pool := x509.NewCertPool()
	if b, err := os.ReadFile(k.CAFile); err == nil {
		pool.AppendCertsFromPEM(b)
	}
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// Options sends an OPTIONS ping to the proxy itself over transport ("udp",
// "tcp" or "tls"; TLS verified against CAFile) and returns the status code.
func (k *Kamailio) Options(ctx context.Context, transport string) (int, error) {
	var tc *tls.Config
	if strings.EqualFold(transport, "tls") {
		tc = k.TLSConfig()
	}
	r, err := SendRequest(ctx, transport, k.Addr(transport), tc, "OPTIONS", "sip:"+k.Addr(transport))
	if err != nil {
		return 0, err
	}
	return r.Status, nil
}

// cfgString quotes s for a kamailio.cfg string literal.
func cfgString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", "", "\r", "")
	return `"` + r.Replace(s) + `"`
}

var validUser = regexp.MustCompile(`^[A-Za-z0-9._+-]+$`)

type kamUser struct{ Name, Password string }

func kamailioConfig(k *Kamailio, port, tlsPort int, certs certFiles, mdir string) (string, error) {
	var users []kamUser
	for u, p := range k.opt.Users {
		if !validUser.MatchString(u) {
			return "", fmt.Errorf("user name %q: use letters, digits and . _ + - only", u)
		}
		users = append(users, kamUser{u, cfgString(p)})
	}
	sort.Slice(users, func(i, j int) bool { return users[i].Name < users[j].Name })
	qop := "1"
	if k.opt.NoQop {
		qop = "0"
	}
	data := map[string]any{
		"Port": port, "TLSPort": tlsPort, "Domain": cfgString(k.Domain),
		"Users": users, "Algorithm": k.opt.Algorithm, "Qop": qop,
		"Cert": cfgString(certs.Cert), "Key": cfgString(certs.Key), "CA": cfgString(certs.CA),
		"MPath": mdir, "Debug": k.opt.Debug,
	}
	if k.opt.WebSocket {
		data["WSPort"] = portOf(k.WSAddr)
		data["WSSPort"] = portOf(k.WSSAddr)
	}
	if k.opt.Rtpengine != nil {
		data["RTPE"] = k.opt.Rtpengine.NGAddr
	}
	var b strings.Builder
	if err := kamailioTmpl.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

var kamailioTmpl = template.Must(template.New("kamailio.cfg").Parse(`#!KAMAILIO
# Generated by switchboard/internal/testpeer. Registrar + proxy, no database.
debug={{.Debug}}
log_stderror=yes
log_prefix="{{"{"}}$mt $hdr(CSeq) $ci} "
memdbg=5
memlog=5
children=2
tcp_children=2
auto_aliases=no
dns=no
rev_dns=no
use_dns_cache=off
dns_try_ipv6=no
server_signature=no
user_agent_header="User-Agent: testpeer-kamailio"
tcp_connection_lifetime=3605
tcp_accept_no_cl=yes
enable_tls=yes
# No alias=127.0.0.1: every peer lives on 127.0.0.1 and would be "myself"
# (webrtc-notes 9); the domain is compared by name in route[LOCALDOMAIN].
listen=udp:127.0.0.1:{{.Port}}
listen=tcp:127.0.0.1:{{.Port}}
listen=tls:127.0.0.1:{{.TLSPort}}
{{if .WSPort}}listen=tcp:127.0.0.1:{{.WSPort}}
listen=tls:127.0.0.1:{{.WSSPort}}
{{end}}{{if .MPath}}mpath="{{.MPath}}/"{{end}}

loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "sanity.so"
loadmodule "corex.so"
loadmodule "kex.so"
loadmodule "auth.so"
loadmodule "htable.so"
loadmodule "nathelper.so"
loadmodule "tls.so"
{{if .WSPort}}loadmodule "xhttp.so"
loadmodule "websocket.so"
{{end}}{{if .RTPE}}loadmodule "rtpengine.so"
modparam("rtpengine", "rtpengine_sock", "udp:{{.RTPE}}")
{{end}}
modparam("tm", "fr_timer", 10000)
modparam("tm", "fr_inv_timer", 60000)
modparam("rr", "enable_full_lr", 1)
modparam("rr", "append_fromtag", 1)
modparam("usrloc", "db_mode", 0)
modparam("registrar", "max_expires", 3600)
modparam("registrar", "gruu_enabled", 0)
modparam("htable", "htable", "users=>size=4;autoexpire=0;")
modparam("auth", "nonce_expire", 300)
{{if .Algorithm}}modparam("auth", "algorithm", "{{.Algorithm}}")
{{end}}modparam("nathelper", "received_avp", "$avp(RECEIVED)")
modparam("registrar", "received_avp", "$avp(RECEIVED)")
modparam("tls", "tls_method", "TLSv1.2+")
modparam("tls", "certificate", {{.Cert}})
modparam("tls", "private_key", {{.Key}})
modparam("tls", "ca_list", {{.CA}})
modparam("tls", "verify_certificate", 0)
modparam("tls", "require_certificate", 0)

event_route[htable:mod-init] {
{{range .Users}}	$sht(users=>{{.Name}}) = {{.Password}};
{{end}}}

{{if .WSPort}}# WebSocket handshake on the ws/wss ports only.
event_route[xhttp:request] {
	set_reply_close();
	set_reply_no_connect();
	if ($Rp != {{.WSPort}} && $Rp != {{.WSSPort}}) {
		xhttp_reply("403", "Forbidden", "", "");
		exit;
	}
	if ($hdr(Upgrade) =~ "websocket" && $hdr(Connection) =~ "Upgrade" && $rm =~ "GET") {
		if (ws_handle_handshake()) {
			exit;
		}
	}
	xhttp_reply("404", "Not Found", "", "");
}

{{end}}request_route {
	route(REQINIT);
	route(NATDETECT);

	if (is_method("CANCEL")) {
		if (t_check_trans()) {
{{if .RTPE}}			rtpengine_delete();
{{end}}			route(RELAY);
		}
		exit;
	}
	if (!is_method("ACK")) {
		if (t_precheck_trans()) {
			t_check_trans();
			exit;
		}
		t_check_trans();
	}

	route(WITHINDLG);

	# initial requests
	remove_hf("Route");
	if (is_method("INVITE|SUBSCRIBE|REFER")) {
		record_route();
	}

	if (is_method("REGISTER")) {
		route(REGISTRAR);
		exit;
	}

	if (is_method("OPTIONS") && $rU == $null) {
		# keep-alive / readiness ping to the proxy itself
		sl_send_reply("200", "OK");
		exit;
	}

	route(AUTH);

	if ($rU == $null) {
		sl_send_reply("484", "Address Incomplete");
		exit;
	}
	route(LOCATION);
}

route[REQINIT] {
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	if (!sanity_check("17895", "7")) {
		xlog("L_WARN", "malformed SIP request from $si:$sp\n");
		exit;
	}
}

# rport always; a Contact that does not match the source (port differs,
# e.g. TCP) is fixed (REGISTER: stored as received).
route[NATDETECT] {
	force_rport();
{{if .WSPort}}	if ($pr == "ws" || $pr == "wss") {
		# WebSocket client: its Contact (.invalid host) is unreachable;
		# registrations store the source, other requests get an alias.
		setflag(7);
		if (is_method("REGISTER")) {
			fix_nated_register();
		} else if (is_present_hf("Contact")) {
			add_contact_alias();
		}
		return;
	}
{{end}}	if (nat_uac_test("19")) {
		if (is_method("REGISTER")) {
			fix_nated_register();
		} else if (is_first_hop()) {
			fix_nated_contact();
		}
		setflag(5);
	}
}

route[LOCALDOMAIN] {
	if ($rd == {{.Domain}} || uri == myself) {
		return 1;
	}
	return -1;
}

route[WITHINDLG] {
	if (!has_totag()) {
		return;
	}
	if (loose_route()) {
{{if .WSPort}}		handle_ruri_alias();
{{end}}{{if .RTPE}}		if (is_method("BYE")) {
			rtpengine_delete();
		} else if (is_method("INVITE|UPDATE")) {
			route(RTPE_OFFER);
		}
{{end}}		route(RELAY);
		exit;
	}
	if (is_method("ACK")) {
		if (t_check_trans()) {
			route(RELAY);
		}
		exit;
	}
	sl_send_reply("404", "Not here");
	exit;
}

route[REGISTRAR] {
	if (!($td == {{.Domain}} || $rd == {{.Domain}})) {
		sl_send_reply("403", "Not our domain");
		exit;
	}
	if ($au == $null || $sht(users=>$au) == $null) {
		www_challenge({{.Domain}}, "{{.Qop}}");
		exit;
	}
	if (!pv_www_authenticate({{.Domain}}, "$sht(users=>$au)", "0")) {
		www_challenge({{.Domain}}, "{{.Qop}}");
		exit;
	}
	if ($au != $tU) {
		sl_send_reply("403", "Forbidden auth ID");
		exit;
	}
	consume_credentials();
	if (!save("location")) {
		sl_reply_error();
	}
	exit;
}

# INVITEs from our users must carry proxy credentials (407).
route[AUTH] {
	if (!is_method("INVITE")) {
		return;
	}
	if ($fd != {{.Domain}} && !(from_uri == myself)) {
		# from elsewhere: only calls to our users are accepted
		route(LOCALDOMAIN);
		if ($rc < 0) {
			sl_send_reply("403", "Relaying forbidden");
			exit;
		}
		return;
	}
	if ($au == $null || $sht(users=>$au) == $null) {
		proxy_challenge({{.Domain}}, "{{.Qop}}");
		exit;
	}
	if (!pv_proxy_authenticate({{.Domain}}, "$sht(users=>$au)", "0")) {
		proxy_challenge({{.Domain}}, "{{.Qop}}");
		exit;
	}
	if ($au != $fU) {
		sl_send_reply("403", "Forbidden auth ID");
		exit;
	}
	consume_credentials();
}

route[LOCATION] {
	route(LOCALDOMAIN);
	if ($rc < 0) {
		# authenticated local user calling a foreign URI: relay as is
		route(RELAY);
		exit;
	}
	if ($sht(users=>$rU) == $null) {
		sl_send_reply("404", "Not Found");
		exit;
	}
	if (!lookup("location")) {
		sl_send_reply("480", "Temporarily Unavailable");
		exit;
	}
{{if .RTPE}}	if (is_method("INVITE")) {
		t_on_branch("RTPE_BRANCH");
	}
{{end}}	route(RELAY);
	exit;
}

route[RELAY] {
	if (is_method("INVITE|BYE|UPDATE|CANCEL|ACK|REFER|NOTIFY|INFO|MESSAGE|SUBSCRIBE|OPTIONS|PRACK")) {
		t_on_reply("MANAGE_REPLY");
	}
	if (!t_relay()) {
		sl_reply_error();
	}
	exit;
}

# A reply received over TCP/TLS carries the callee's listen address in its
# Contact; point it at the connection it came on instead.
onreply_route[MANAGE_REPLY] {
	if (status =~ "[12][0-9][0-9]" && is_present_hf("Contact")) {
{{if .WSPort}}		if ($pr == "ws" || $pr == "wss") {
			add_contact_alias();
		} else {{end}}if ($pr != "udp" || nat_uac_test("1")) {
			fix_nated_contact();
		}
	}
{{if .RTPE}}	if (status =~ "(18[03])|(2[0-9][0-9])" && has_body("application/sdp") && is_method("INVITE|UPDATE")) {
		# The answer goes back towards the leg the request came from.
		if (isflagset(7)) {
			rtpengine_answer("ICE=force SDES-off UDP/TLS/RTP/SAVPF rtcp-mux-offer rtcp-mux-require generate-mid replace-origin replace-session-connection");
		} else {
			rtpengine_answer("ICE=remove DTLS=off SDES-off RTP/AVP rtcp-mux-demux replace-origin replace-session-connection");
		}
	}
{{end}}}
{{if .RTPE}}
branch_route[RTPE_BRANCH] {
	route(RTPE_OFFER);
}

# The offer is rewritten for the next hop: WebRTC profile towards ws/wss.
route[RTPE_OFFER] {
	if (!has_body("application/sdp")) {
		return;
	}
	if ($ru =~ "transport=wss?" || $du =~ "transport=wss?") {
		rtpengine_offer("ICE=force SDES-off UDP/TLS/RTP/SAVPF rtcp-mux-offer rtcp-mux-require generate-mid replace-origin replace-session-connection");
	} else {
		rtpengine_offer("ICE=remove DTLS=off SDES-off RTP/AVP rtcp-mux-demux replace-origin replace-session-connection");
	}
}
{{end}}
`))

func portOf(addr string) int {
	_, p, _ := strings.Cut(addr, ":")
	n := 0
	fmt.Sscan(p, &n)
	return n
}

// Register sends a REGISTER for user (digest-authenticated with password)
// over transport and returns the final response: 200 with the bindings on
// success. contact defaults to "<sip:user@127.0.0.1:9;transport=...>";
// expires 0 removes the bindings.
func (k *Kamailio) Register(ctx context.Context, transport, user, password, contact string, expires int) (*Response, error) {
	if transport == "" {
		transport = "udp"
	}
	if contact == "" {
		contact = fmt.Sprintf("<sip:%s@127.0.0.1:9;transport=%s>", user, strings.ToLower(transport))
	}
	var tc *tls.Config
	if strings.EqualFold(transport, "tls") {
		tc = k.TLSConfig()
	}
	aor := fmt.Sprintf("sip:%s@%s", user, k.Domain)
	return SendRequestAuth(ctx, transport, k.Addr(transport), tc, user, password, "REGISTER", "sip:"+k.Domain,
		"From: <"+aor+">", "To: <"+aor+">", "Contact: "+contact, fmt.Sprintf("Expires: %d", expires))
}
