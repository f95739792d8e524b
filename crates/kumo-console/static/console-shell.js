// The lease page's live panels: logs and events over websockets that reconnect (with a visible
// "reconnecting" state and the reason) after idle, errors or a provider restart, with a ping
// every 15 s; and a shell: xterm.js over a websocket whose binary messages are the provider
// gateway's shell frames (104 stdin, 105 resize out; 100/101 output, 102 result, 103 failure in).
(function () {
  'use strict';
  const root = document.getElementById('lease');
  if (!root || root.dataset.active !== 'true') return;
  const base = root.dataset.base;
  const wsUrl = (path) => (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path;
  const PING_MS = 15000;
  const MAX_LINES = 5000;

  function setState(el, kind, text) {
    if (!el) return;
    el.textContent = text;
    el.className = 'live-state badge ' + ({ live: 'good', error: 'bad', reconnecting: 'warn' }[kind] || '');
    el.dataset.state = kind;
  }

  // A websocket that reconnects with back-off (1 s doubling to 30 s) and pings the console.
  // The page's live streams by name; `drop()` closes the current socket as a network failure
  // would (the browser test uses it to check the reconnect).
  const streams = (window.kumoStreams = {});
  function liveStream(path, stateEl, onHello, onMessage) {
    let attempt = 0;
    let lastError = '';
    let ws = null;
    let pinger = null;
    let lastPong = 0;
    function connect() {
      setState(stateEl, attempt ? 'reconnecting' : 'connecting',
        attempt ? 'reconnecting… ' + lastError : 'connecting…');
      ws = new WebSocket(wsUrl(path));
      ws.onopen = () => {
        lastPong = Date.now();
        pinger = setInterval(() => {
          // No pong for three pings: the connection is dead even if the browser has not noticed.
          if (Date.now() - lastPong > 3 * PING_MS) { ws.close(); return; }
          if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'ping' }));
        }, PING_MS);
      };
      ws.onmessage = (ev) => {
        let m;
        try { m = JSON.parse(ev.data); } catch (_) { return; }
        lastPong = Date.now();
        if (m.type === 'pong') return;
        if (m.type === 'hello') { attempt = 0; lastError = ''; setState(stateEl, 'live', 'live from ' + m.host); onHello(m); return; }
        if (m.type === 'error') { lastError = m.message; setState(stateEl, 'error', m.message); return; }
        onMessage(m);
      };
      ws.onclose = () => {
        clearInterval(pinger);
        attempt += 1;
        const delay = Math.min(30000, 1000 * Math.pow(2, Math.min(attempt - 1, 5)));
        const why = lastError ? ' (' + lastError + ')' : '';
        setState(stateEl, 'reconnecting', 'reconnecting in ' + Math.round(delay / 1000) + ' s' + why);
        setTimeout(connect, delay);
      };
    }
    connect();
    return { drop: () => ws && ws.close() };
  }

  function appendLine(pre, text, cls) {
    const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    const div = document.createElement('div');
    if (cls) div.className = cls;
    div.textContent = text;
    pre.appendChild(div);
    while (pre.childNodes.length > MAX_LINES) pre.removeChild(pre.firstChild);
    if (atBottom) pre.scrollTop = pre.scrollHeight;
  }

  const logs = document.getElementById('logs');
  if (logs) {
    streams.logs = liveStream(base + '/logs', document.getElementById('logs-state'),
      // Each (re)connect sends the last lines again: start from a clean view.
      () => { logs.textContent = ''; },
      (m) => { if (m.type === 'line') appendLine(logs, '[' + m.name + '] ' + m.message, 'line'); });
  }
  const events = document.getElementById('events');
  if (events) {
    streams.events = liveStream(base + '/events', document.getElementById('events-state'),
      () => { events.textContent = ''; },
      (m) => { if (m.type === 'event') appendLine(events, m.kind + ' ' + m.object + ' ' + m.reason + ': ' + m.note, 'event'); });
  }

  // ------------------------------------------------------------------ shell
  const form = document.getElementById('shell-form');
  const termEl = document.getElementById('terminal');
  const shellState = document.getElementById('shell-state');
  if (!form || !termEl || !window.Terminal) return;
  const term = new window.Terminal({ cursorBlink: true, convertEol: false, fontSize: 13, scrollback: 5000 });
  const fit = new window.FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open(termEl);
  fit.fit();
  window.kumoTerminal = term; // for the browser test to read the screen
  const encoder = new TextEncoder();
  let shell = null;

  function frame(code, bytes) {
    const out = new Uint8Array(bytes.length + 1);
    out[0] = code;
    out.set(bytes, 1);
    return out;
  }
  function resizeFrame() {
    const c = term.cols, r = term.rows;
    return new Uint8Array([105, c >> 8, c & 255, r >> 8, r & 255]);
  }
  term.onData((data) => { if (shell && shell.readyState === WebSocket.OPEN) shell.send(frame(104, encoder.encode(data))); });
  term.onResize(() => { if (shell && shell.readyState === WebSocket.OPEN) shell.send(resizeFrame()); });
  window.addEventListener('resize', () => fit.fit());

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (shell) { shell.onclose = null; shell.close(); }
    const service = document.getElementById('shell-service').value.trim();
    const cmd = document.getElementById('shell-cmd').value.trim() || 'sh';
    term.reset();
    setState(shellState, 'connecting', 'connecting…');
    const q = '?service=' + encodeURIComponent(service) + '&cmd=' + encodeURIComponent(cmd);
    const ws = new WebSocket(wsUrl(base + '/shell' + q));
    ws.binaryType = 'arraybuffer';
    shell = ws;
    let pinger = null;
    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') {
        const m = JSON.parse(ev.data);
        if (m.type === 'hello') {
          setState(shellState, 'live', m.cmd + ' in ' + m.service + ' at ' + m.host);
          ws.send(resizeFrame());
          pinger = setInterval(() => { if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'ping' })); }, PING_MS);
          term.focus();
        } else if (m.type === 'error') {
          setState(shellState, 'error', m.message);
          term.write('\r\n\x1b[31m' + m.message + '\x1b[0m\r\n');
        }
        return;
      }
      const b = new Uint8Array(ev.data);
      if (b.length === 0) return;
      const body = b.subarray(1);
      if (b[0] === 100 || b[0] === 101) term.write(body);
      else if (b[0] === 102) {
        let code = '?';
        try { code = JSON.parse(new TextDecoder().decode(body)).exit_code; } catch (_) { /* keep ? */ }
        setState(shellState, code === 0 ? 'done' : 'error', 'exited with code ' + code);
        term.write('\r\n[exited with code ' + code + ']\r\n');
      } else if (b[0] === 103) {
        setState(shellState, 'error', 'the provider could not run the command');
      }
    };
    ws.onclose = () => {
      clearInterval(pinger);
      if (shellState.dataset.state === 'live' || shellState.dataset.state === 'connecting') {
        setState(shellState, 'error', 'disconnected; press "Open a shell" to start again');
      }
    };
  });
})();
