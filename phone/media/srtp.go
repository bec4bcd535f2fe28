package media

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/pion/srtp/v3"
)

// SRTPPolicy says whether a Session encrypts its media with SRTP (RFC 3711),
// keyed by SDES (RFC 4568: a=crypto lines in the SDP).
type SRTPPolicy int

// SRTP policies. The zero value is SRTPOff.
const (
	// SRTPOff never encrypts: offers are plain RTP/AVP without a=crypto,
	// a=crypto lines in RTP/AVP offers are ignored, and RTP/SAVP offers are
	// refused (ErrUnsupportedTransport).
	SRTPOff SRTPPolicy = iota
	// SRTPOptional encrypts when the peer agrees (best effort, like
	// baresip's mediaenc=srtp): offers are RTP/AVP with a=crypto lines; an
	// answer without a=crypto gives a plain call. Offers with a=crypto
	// (RTP/AVP or RTP/SAVP) are answered encrypted, plain offers plainly.
	SRTPOptional
	// SRTPMandatory never sends or accepts plain media: offers are RTP/SAVP
	// with a=crypto lines; plain offers and answers are refused
	// (ErrSRTPRequired).
	SRTPMandatory
)

// String returns "off", "optional" or "mandatory".
func (p SRTPPolicy) String() string {
	switch p {
	case SRTPOff:
		return "off"
	case SRTPOptional:
		return "optional"
	case SRTPMandatory:
		return "mandatory"
	}
	return "SRTPPolicy(" + strconv.Itoa(int(p)) + ")"
}

// SRTP negotiation errors (wrapped with a reason; the SIP layer answers 488).
var (
	// ErrSRTPRequired means the policy is SRTPMandatory (or the call is
	// already encrypted) and the peer offered or answered plain RTP.
	ErrSRTPRequired = errors.New("media: SRTP required")
	// ErrBadCrypto means no a=crypto line of the peer is usable: malformed,
	// an unknown crypto suite, a wrong key length, MKI or session
	// parameters we do not support, or (in an answer) a tag we did not offer.
	ErrBadCrypto = errors.New("media: no usable SRTP crypto attribute")
)

// srtpSuite is one SDES crypto suite we speak.
type srtpSuite struct {
	name    string
	profile srtp.ProtectionProfile
	keyLen  int
	saltLen int
}

// acceptedSuites are the suites we accept in offers and answers and may
// offer (Config.SRTPSuites): RFC 4568's, RFC 7714's AES-GCM and RFC 6188's
// 256-bit AES-CM.
var acceptedSuites = []*srtpSuite{
	{"AES_CM_128_HMAC_SHA1_80", srtp.ProtectionProfileAes128CmHmacSha1_80, 16, 14},
	{"AES_CM_128_HMAC_SHA1_32", srtp.ProtectionProfileAes128CmHmacSha1_32, 16, 14},
	{"AEAD_AES_128_GCM", srtp.ProtectionProfileAeadAes128Gcm, 16, 12},
	{"AEAD_AES_256_GCM", srtp.ProtectionProfileAeadAes256Gcm, 32, 12},
	{"AES_256_CM_HMAC_SHA1_80", srtp.ProtectionProfileAes256CmHmacSha1_80, 32, 14},
	{"AES_256_CM_HMAC_SHA1_32", srtp.ProtectionProfileAes256CmHmacSha1_32, 32, 14},
}

// DefaultSRTPSuites is what we offer when Config.SRTPSuites is empty: one
// a=crypto line, AES_CM_128_HMAC_SHA1_80, which every SDES peer speaks.
// Each offered line adds about 85 bytes to the INVITE, and sipgo refuses
// UDP requests over 1300 bytes (RFC 3261 §18.1.1) instead of moving to TCP:
// an authenticated INVITE offering Opus, G.722, G.711 and three crypto
// lines does not fit.
var DefaultSRTPSuites = []string{"AES_CM_128_HMAC_SHA1_80"}

// SRTPSuites lists the crypto suite names Config.SRTPSuites accepts.
func SRTPSuites() []string {
	names := make([]string, len(acceptedSuites))
	for i, s := range acceptedSuites {
		names[i] = s.name
	}
	return names
}

// suiteByName finds an accepted suite (names are case-sensitive in RFC
// 4568, but some peers lower-case them).
func suiteByName(name string) *srtpSuite {
	for _, s := range acceptedSuites {
		if strings.EqualFold(s.name, name) {
			return s
		}
	}
	return nil
}

// secret is key material. It never prints: fmt verbs and slog show
// "[redacted]", so a stray log line cannot leak a master key.
type secret []byte

const redacted = "[redacted]"

// Format implements fmt.Formatter for every verb (%v, %s, %x, %#v...).
func (secret) Format(f fmt.State, _ rune) { io.WriteString(f, redacted) }

// LogValue implements slog.LogValuer.
func (secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// cryptoAttr is one parsed a=crypto line: tag, suite and the inline
// master key||salt. MKI, lifetimes other than well-formed numbers, several
// keys and session parameters are refused by parseCrypto.
type cryptoAttr struct {
	tag   int
	suite *srtpSuite
	key   secret // master key || master salt
}

// Format implements fmt.Formatter without the key.
func (c cryptoAttr) Format(f fmt.State, _ rune) {
	name := "?"
	if c.suite != nil {
		name = c.suite.name
	}
	fmt.Fprintf(f, "%d %s inline:%s", c.tag, name, redacted)
}

// LogValue implements slog.LogValuer without the key.
func (c cryptoAttr) LogValue() slog.Value { return slog.StringValue(fmt.Sprint(c)) }

// sdpValue is the attribute value for our SDP (with the key: for the wire
// only, never for logs).
func (c cryptoAttr) sdpValue() string {
	return strconv.Itoa(c.tag) + " " + c.suite.name + " inline:" + base64.StdEncoding.EncodeToString(c.key)
}

// parseCrypto parses an a=crypto value (RFC 4568 §9.1):
//
//	tag SP crypto-suite SP "inline:" key||salt ["|" lifetime] ["|" MKI:len] *(SP session-param)
//
// Errors wrap ErrBadCrypto and never contain key material.
func parseCrypto(v string) (cryptoAttr, error) {
	bad := func(format string, a ...any) (cryptoAttr, error) {
		return cryptoAttr{}, fmt.Errorf("%w: "+format, append([]any{ErrBadCrypto}, a...)...)
	}
	f := strings.Fields(v)
	if len(f) < 3 {
		return bad("a=crypto needs a tag, a suite and key parameters")
	}
	if len(f) > 3 {
		// UNENCRYPTED_SRTP, KDR, FEC_ORDER, WSH...: all change the meaning
		// of the line; we support none, so the line is unusable (§6.3).
		return bad("session parameters are not supported")
	}
	if len(f[0]) > 9 || strings.TrimLeft(f[0], "0123456789") != "" {
		return bad("tag is not 1-9 digits")
	}
	tag, err := strconv.Atoi(f[0])
	if err != nil {
		return bad("tag is not a number")
	}
	suite := suiteByName(f[1])
	if suite == nil {
		if len(f[1]) > 40 {
			f[1] = f[1][:40]
		}
		return bad("unsupported crypto suite %q", f[1])
	}
	if strings.Contains(f[2], ";") {
		return bad("several master keys are not supported")
	}
	method, info, ok := strings.Cut(f[2], ":")
	if !ok || !strings.EqualFold(method, "inline") {
		return bad("key method is not inline")
	}
	parts := strings.Split(info, "|")
	if len(parts) > 3 {
		return bad("too many key-info fields")
	}
	for _, p := range parts[1:] {
		if strings.Contains(p, ":") {
			return bad("MKI is not supported")
		}
		lt := strings.TrimPrefix(p, "2^")
		if lt == "" || len(lt) > 20 || strings.TrimLeft(lt, "0123456789") != "" {
			return bad("malformed key lifetime")
		}
	}
	key, err := base64.StdEncoding.DecodeString(parts[0])
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(parts[0])
	}
	if err != nil {
		return bad("key is not base64")
	}
	if want := suite.keyLen + suite.saltLen; len(key) != want {
		clear(key)
		return bad("%s key||salt is %d bytes, want %d", suite.name, len(key), want)
	}
	return cryptoAttr{tag: tag, suite: suite, key: secret(key)}, nil
}

// parseCryptos parses a list of a=crypto values, keeping the usable ones in
// order; the first error explains when none is usable.
func parseCryptos(vals []string) ([]cryptoAttr, error) {
	var out []cryptoAttr
	var first error
	for _, v := range vals {
		c, err := parseCrypto(v)
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		out = append(out, c)
	}
	return out, first
}

// RedactCrypto returns an SDP (or a whole SIP message) with the key
// material of every a=crypto line replaced by [redacted], for traces.
func RedactCrypto(msg string) string {
	if !strings.Contains(msg, "a=crypto:") {
		return msg
	}
	lines := strings.SplitAfter(msg, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "a=crypto:") {
			continue
		}
		end := strings.TrimRight(l, "\r\n")
		eol := l[len(end):]
		f := strings.Fields(end)
		for j := range f {
			if k, _, ok := strings.Cut(f[j], ":"); ok && j >= 2 {
				f[j] = k + ":" + redacted
			}
		}
		lines[i] = strings.Join(f, " ") + eol
	}
	return strings.Join(lines, "")
}

// newKey returns a fresh random master key||salt for suite.
func newKey(suite *srtpSuite) secret {
	k := make(secret, suite.keyLen+suite.saltLen)
	_, _ = rand.Read(k) // crypto/rand.Read never fails (it crashes the program instead)
	return k
}

// srtpKeys keeps one sending master key per suite for the life of a
// Session, so re-offers and re-answers repeat the same key and the
// peer's SRTP context is not reset on hold/resume.
type srtpKeys map[string]secret

func (k srtpKeys) get(suite *srtpSuite) secret {
	key, ok := k[suite.name]
	if !ok {
		key = newKey(suite)
		k[suite.name] = key
	}
	return key
}

// wipe zeroes all keys.
func (k srtpKeys) wipe() {
	for n, key := range k {
		clear(key)
		delete(k, n)
	}
}

// srtpTransform is the negotiated SRTP state: a sending context with our
// key and a receiving context with the peer's. Its mutex guards the pion
// contexts, which are not safe for concurrent use (the send loop, the
// RTCP loop and Close encrypt; the two receive loops decrypt).
type srtpTransform struct {
	require bool // SRTPMandatory: never send or take plain RTP/RTCP (set in New)

	mu     sync.Mutex
	suite  *srtpSuite
	txKey  secret
	rxKey  secret
	tx, rx *srtp.Context
}

// set installs suite with our key txKey and the peer's rxKey. Contexts
// whose key and suite are unchanged are kept (rollover counters and replay
// windows survive a re-INVITE).
func (t *srtpTransform) set(suite *srtpSuite, txKey, rxKey secret) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	split := func(k secret) ([]byte, []byte) { return k[:suite.keyLen], k[suite.keyLen:] }
	tx, rx := t.tx, t.rx
	var err error
	if tx == nil || t.suite != suite || !bytes.Equal(t.txKey, txKey) {
		k, s := split(txKey)
		if tx, err = srtp.CreateContext(k, s, suite.profile); err != nil {
			return fmt.Errorf("media: SRTP %s send context: %w", suite.name, err)
		}
	}
	if rx == nil || t.suite != suite || !bytes.Equal(t.rxKey, rxKey) {
		k, s := split(rxKey)
		if rx, err = srtp.CreateContext(k, s, suite.profile,
			srtp.SRTPReplayProtection(128), srtp.SRTCPReplayProtection(128)); err != nil {
			return fmt.Errorf("media: SRTP %s receive context: %w", suite.name, err)
		}
	}
	if !bytes.Equal(t.rxKey, rxKey) {
		clear(t.rxKey)
	}
	t.suite, t.tx, t.rx = suite, tx, rx
	t.txKey, t.rxKey = txKey, append(secret(nil), rxKey...)
	return nil
}

// reset drops SRTP (plain media from now on) and wipes the peer's key.
func (t *srtpTransform) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.rxKey)
	t.suite, t.tx, t.rx, t.txKey, t.rxKey = nil, nil, nil, nil, nil
}

// name is the active suite name, "" for plain RTP.
func (t *srtpTransform) name() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.suite == nil {
		return ""
	}
	return t.suite.name
}

// errPlainRefused: SRTP is mandatory and not (yet) negotiated.
var errPlainRefused = errors.New("media: plain RTP refused (SRTP mandatory)")

// protectRTP encrypts a marshalled RTP packet into dst; with no SRTP it
// returns pkt unchanged (or errPlainRefused when SRTP is mandatory).
func (t *srtpTransform) protectRTP(dst, pkt []byte) ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tx == nil {
		if t.require {
			return nil, errPlainRefused
		}
		return pkt, nil
	}
	return t.tx.EncryptRTP(dst, pkt, nil)
}

// unprotectRTP authenticates and decrypts an SRTP packet into a new
// buffer; with no SRTP it returns pkt unchanged (or errPlainRefused).
// secured says whether SRTP was applied (so a failure is an SRTP failure).
func (t *srtpTransform) unprotectRTP(pkt []byte) (out []byte, secured bool, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.rx == nil {
		if t.require {
			return nil, false, errPlainRefused
		}
		return pkt, false, nil
	}
	defer func() { // network input into third-party code: never crash
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("media: SRTP decrypt failure: %v", r)
		}
	}()
	out, err = t.rx.DecryptRTP(make([]byte, 0, len(pkt)), pkt, nil)
	return out, true, err
}

// protectRTCP encrypts a compound RTCP packet (SRTCP); with no SRTP it
// returns pkt unchanged (or errPlainRefused).
func (t *srtpTransform) protectRTCP(pkt []byte) ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tx == nil {
		if t.require {
			return nil, errPlainRefused
		}
		return pkt, nil
	}
	return t.tx.EncryptRTCP(nil, pkt, nil)
}

// unprotectRTCP authenticates and decrypts an SRTCP packet; with no SRTP
// it returns pkt unchanged (or errPlainRefused).
func (t *srtpTransform) unprotectRTCP(pkt []byte) (out []byte, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.rx == nil {
		if t.require {
			return nil, errPlainRefused
		}
		return pkt, nil
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("media: SRTCP decrypt failure: %v", r)
		}
	}()
	return t.rx.DecryptRTCP(nil, pkt, nil)
}

// ---- negotiation (called with Session.mu held) ----

// secureProto reports whether an m= transport is SRTP's (SDES keyed).
func secureProto(proto string) bool { return proto == "RTP/SAVP" || proto == "RTP/SAVPF" }

// offerCryptoLocked returns our transport and a=crypto lines for an offer.
// While SRTP is active its suite goes first, so the peer keeps it.
func (s *Session) offerCryptoLocked() (proto string, attrs []cryptoAttr) {
	switch s.srtpPolicy {
	case SRTPOff:
		return "RTP/AVP", nil
	case SRTPMandatory:
		proto = "RTP/SAVP"
	default:
		proto = "RTP/AVP"
	}
	if s.encryptedLocked() {
		// Keep the transport the peer accepted: RTP/SAVPF stays, and an
		// encrypted RTP/AVP call (best effort on the peer's side) stays
		// RTP/AVP even when our policy is mandatory.
		proto = "RTP/AVP"
		if secureProto(s.proto) {
			proto = s.proto
		}
	}
	suites := append([]*srtpSuite(nil), s.offerSuites...)
	if s.sec.suite != nil {
		suites = append([]*srtpSuite{s.sec.suite}, suites...)
	}
	seen := map[*srtpSuite]bool{}
	for _, su := range suites {
		if seen[su] {
			continue
		}
		seen[su] = true
		attrs = append(attrs, cryptoAttr{tag: len(attrs) + 1, suite: su, key: s.keys.get(su)})
	}
	return proto, attrs
}

// encryptedLocked reports whether the current call is SRTP.
func (s *Session) encryptedLocked() bool { return s.sec.suite != nil }

// answerCryptoLocked chooses the first usable a=crypto line of an offer
// (nil: answer plain RTP) per policy.
func (s *Session) answerCryptoLocked(rm remoteMedia) (*cryptoAttr, error) {
	if s.srtpPolicy == SRTPOff {
		if rm.secure {
			return nil, fmt.Errorf("%w: the peer offers %s (SRTP) and SRTP is off", ErrUnsupportedTransport, rm.proto)
		}
		return nil, nil
	}
	usable, err := parseCryptos(rm.crypto)
	if len(usable) > 0 {
		return &usable[0], nil
	}
	required := rm.secure || s.srtpPolicy == SRTPMandatory || s.encryptedLocked()
	switch {
	case !required:
		return nil, nil
	case err != nil:
		return nil, err
	case rm.secure:
		return nil, fmt.Errorf("%w: %s offer without a=crypto (DTLS-SRTP is not supported)", ErrBadCrypto, rm.proto)
	default:
		return nil, fmt.Errorf("%w: the peer offers plain RTP", ErrSRTPRequired)
	}
}

// acceptCryptoLocked checks an answer's a=crypto against what we offered
// and returns the agreed line (nil: plain RTP).
func (s *Session) acceptCryptoLocked(rm remoteMedia, offered []cryptoAttr) (*cryptoAttr, error) {
	if len(offered) == 0 {
		if rm.secure || len(rm.crypto) > 0 && s.srtpPolicy != SRTPOff {
			return nil, fmt.Errorf("%w: the answer is %s with SRTP, we offered plain RTP", ErrUnsupportedTransport, rm.proto)
		}
		return nil, nil
	}
	if len(rm.crypto) == 0 {
		if rm.secure || s.srtpPolicy == SRTPMandatory || s.encryptedLocked() {
			return nil, fmt.Errorf("%w: the answer has no a=crypto", ErrSRTPRequired)
		}
		return nil, nil
	}
	usable, err := parseCryptos(rm.crypto)
	for _, c := range usable {
		for _, o := range offered {
			if o.tag == c.tag && o.suite == c.suite {
				return &c, nil
			}
		}
	}
	if err == nil {
		err = fmt.Errorf("%w: the answer's a=crypto matches no tag and suite we offered", ErrBadCrypto)
	}
	return nil, err
}

// applyCryptoLocked installs the outcome of a negotiation: c is the peer's
// line (its key is the one it sends with), nil for plain RTP.
func (s *Session) applyCryptoLocked(c *cryptoAttr) error {
	if c == nil {
		if s.encryptedLocked() {
			s.log.Info("SRTP off: media is plain RTP")
		}
		s.sec.reset()
		return nil
	}
	was := s.sec.suite
	if err := s.sec.set(c.suite, s.keys.get(c.suite), c.key); err != nil {
		return err
	}
	if was != c.suite {
		s.log.Debug("SRTP on", "suite", c.suite.name)
	}
	return nil
}
