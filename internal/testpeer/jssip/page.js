// Bundled with esbuild (JsSIP ships CommonJS only, webrtc-notes 8) into the
// page the driver serves. window.sb* functions are called by driver.cjs;
// events go back through the exposed window.sbEvent.
const JsSIP = require('jssip');

let ua, session, ac, dest, analyser;
const attached = new WeakSet();

// Keep only loopback ICE candidates and put c=/m= on the first one, so the
// far end never sees (or checks) an off-box address (webrtc-notes 2).
function loopbackOnly(sdp) {
  const lines = sdp.split('\r\n');
  let ip = null, port = null;
  const out = [];
  for (const l of lines) {
    if (l.startsWith('a=candidate:')) {
      const f = l.substring(12).split(' ');
      if (f[4] !== '127.0.0.1') continue;
      if (ip === null && f[1] === '1') { ip = f[4]; port = f[5]; }
    }
    out.push(l);
  }
  return out.map(l => {
    if (ip && l.startsWith('c=IN IP4 ')) return 'c=IN IP4 ' + ip;
    if (ip && l.startsWith('m=audio ')) { const p = l.split(' '); p[1] = port; return p.join(' '); }
    return l;
  }).join('\r\n');
}

function pcConfig() {
  // No STUN (JsSIP's default has none; keep it so), and no max-bundle:
  // rtpengine's SDP has no BUNDLE group (webrtc-notes 4).
  return { iceServers: [], bundlePolicy: 'balanced', rtcpMuxPolicy: 'require' };
}

function attach(pc) {
  if (!pc || attached.has(pc)) return;
  attached.add(pc);
  pc.addEventListener('track', ev => {
    const st = ev.streams[0] || new MediaStream([ev.track]);
    // Remote audio is silent in WebAudio unless also attached to an element (note 5).
    const el = new Audio();
    el.muted = true;
    el.srcObject = st;
    el.play().catch(() => {});
    ac.createMediaStreamSource(st).connect(analyser);
  });
}

function hook(s) {
  s.on('peerconnection', e => attach(e.peerconnection));
  s.on('sdp', e => { if (e.originator === 'local') e.sdp = loopbackOnly(e.sdp); });
  s.on('accepted', () => window.sbEvent({ event: 'accepted' }));
  s.on('confirmed', () => window.sbEvent({ event: 'confirmed' }));
  s.on('ended', e => window.sbEvent({ event: 'ended', cause: e.cause }));
  s.on('failed', e => window.sbEvent({ event: 'failed', cause: e.cause }));
  s.on('newDTMF', e => { if (e.originator === 'remote') window.sbEvent({ event: 'dtmf', digit: e.dtmf.tone }); });
  s.on('hold', e => window.sbEvent({ event: 'hold', originator: e.originator }));
  s.on('unhold', e => window.sbEvent({ event: 'unhold', originator: e.originator }));
}

window.sbStart = (cfg) => {
  ac = new AudioContext({ sampleRate: 48000 });
  const osc = ac.createOscillator();
  osc.frequency.value = cfg.toneHz || 0;
  const gain = ac.createGain();
  gain.gain.value = cfg.toneHz ? 0.5 : 0;
  dest = ac.createMediaStreamDestination();
  osc.connect(gain).connect(dest);
  osc.start();
  analyser = ac.createAnalyser();
  analyser.fftSize = 8192;
  analyser.smoothingTimeConstant = 0.5;
  const socket = new JsSIP.WebSocketInterface(cfg.wsURL);
  ua = new JsSIP.UA({ sockets: [socket], uri: cfg.uri, password: cfg.password, register: true, session_timers: false });
  ua.on('registered', () => window.sbEvent({ event: 'registered' }));
  ua.on('registrationFailed', e => window.sbEvent({ event: 'registrationFailed', cause: e.cause }));
  ua.on('newRTCSession', e => {
    session = e.session;
    hook(session);
    attach(session.connection);
    if (e.originator === 'remote') window.sbEvent({ event: 'incoming', from: e.request.from.uri.toString() });
  });
  ua.start();
};

window.sbCall = (uri) => {
  const s = ua.call(uri, { mediaStream: dest.stream, pcConfig: pcConfig() });
  attach(s.connection);
};

window.sbAnswer = () => session.answer({ mediaStream: dest.stream, pcConfig: pcConfig() });
// JsSIP drops hold()/unhold() (returns false) while a re-INVITE is still
// in progress; the caller retries.
window.sbHold = (on) => (on ? session.hold() : session.unhold()) !== false;
window.sbHangup = () => { if (session && !session.isEnded()) session.terminate(); };

// Dominant frequency (100-4000 Hz) of what we hear, and its level in dB.
window.sbListen = () => {
  const data = new Float32Array(analyser.frequencyBinCount);
  analyser.getFloatFrequencyData(data);
  const binHz = ac.sampleRate / analyser.fftSize;
  let best = -Infinity, bin = 0;
  for (let i = Math.floor(100 / binHz); i < Math.min(data.length, 4000 / binHz); i++) {
    if (data[i] > best) { best = data[i]; bin = i; }
  }
  return { hz: bin * binHz, db: best };
};
