// kumo console: the Keplr/Leap shim. The server builds every transaction; this file only asks
// the browser wallet to sign what the server prepared and posts the signature back.
(function () {
  'use strict';

  function wallet() { return window.keplr || window.leap || null; }

  function b64ToBytes(s) {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function bytesToB64(b) {
    let s = '';
    for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    return btoa(s);
  }

  async function postJson(url, body) {
    const r = await fetch(url, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body || {})
    });
    let j;
    try { j = await r.json(); } catch (e) { j = { ok: false, error: 'the console answered ' + r.status }; }
    return j;
  }

  function showError(el, text) {
    el.classList.remove('notice');
    el.classList.add('error');
    el.setAttribute('role', 'alert');
    el.textContent = text;
  }

  const noWallet = 'No Keplr or Leap wallet was found in this browser. Install the extension, ' +
    'or sign in with a local key above.';

  // Sign-in: suggest the chain, enable it, read the key and tell the console.
  async function connect(out) {
    const w = wallet();
    if (!w) { showError(out, noWallet); return; }
    try {
      const info = await (await fetch('/api/chain-info')).json();
      if (w.experimentalSuggestChain) await w.experimentalSuggestChain(info);
      await w.enable(info.chainId);
      const key = await w.getKey(info.chainId);
      const j = await postJson('/wallet/browser', {
        address: key.bech32Address, pubkey: bytesToB64(key.pubKey),
        name: key.name || '', ledger: !!key.isNanoLedger
      });
      if (!j.ok) { showError(out, j.error); return; }
      window.location.href = '/';
    } catch (e) {
      showError(out, 'The wallet did not connect: ' + (e && e.message ? e.message : e));
    }
  }

  // A `.sign-request` fragment: fetch the sign doc, have the wallet sign it, post it back.
  async function sign(el) {
    const id = el.dataset.request;
    const w = wallet();
    if (!w) {
      const j = await postJson('/api/tx/' + id + '/cancel');
      showError(el, noWallet + ' ' + (j.error || ''));
      return;
    }
    let doc;
    try {
      const r = await fetch('/api/tx/' + id, { credentials: 'same-origin' });
      doc = await r.json();
      if (!r.ok) { showError(el, doc.error || ('the console answered ' + r.status)); return; }
    } catch (e) { showError(el, 'The console did not answer: ' + e); return; }
    let payload;
    try {
      // The console set gas and fee; the wallet should not replace them.
      const opts = { preferNoSetFee: true, preferNoSetMemo: true };
      if (doc.mode === 'amino') {
        const res = await w.signAmino(doc.chainId, doc.signer, doc.aminoSignDoc, opts);
        payload = { signature: res.signature.signature };
      } else {
        const res = await w.signDirect(doc.chainId, doc.signer, {
          bodyBytes: b64ToBytes(doc.bodyBytes),
          authInfoBytes: b64ToBytes(doc.authInfoBytes),
          chainId: doc.chainId,
          accountNumber: BigInt(doc.accountNumber)
        }, opts);
        payload = {
          signature: res.signature.signature,
          bodyBytes: bytesToB64(res.signed.bodyBytes),
          authInfoBytes: bytesToB64(res.signed.authInfoBytes)
        };
      }
    } catch (e) {
      const j = await postJson('/api/tx/' + id + '/cancel');
      showError(el, j.error || ('The wallet did not sign: ' + e));
      return;
    }
    el.textContent = 'Signed; broadcasting “' + doc.what + '” and waiting for the block…';
    const j = await postJson('/api/tx/' + id + '/signature', payload);
    if (!j.ok) { showError(el, j.error); return; }
    // The same fragment a local key gets: it loads the next step in its place.
    const wrap = document.createElement('div');
    wrap.innerHTML = j.html;
    const done = wrap.firstElementChild;
    el.replaceWith(done);
    if (window.htmx) window.htmx.process(done);
  }

  // htmx:load fires on each new top-level element, which may itself be the sign request.
  function scan(root) {
    root = root || document;
    const found = Array.from(root.querySelectorAll('.sign-request:not([data-started])'));
    if (root.matches && root.matches('.sign-request:not([data-started])')) found.unshift(root);
    found.forEach(function (el) {
      el.dataset.started = '1';
      sign(el);
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    const btn = document.getElementById('connect-wallet');
    if (btn) btn.addEventListener('click', function () { connect(document.getElementById('wallet-result')); });
    scan(document);
  });
  document.addEventListener('htmx:load', function (e) { scan(e.target); });
})();
