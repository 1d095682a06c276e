// Verifies the report's signatures offline with WebCrypto: each entry embeds the signed bytes,
// the raw signature and the signer's public key (SPKI). No network, no project needed.
(function () {
  'use strict';
  function bytes(text) {
    return Uint8Array.from(atob(text), function (c) {
      return c.charCodeAt(0);
    });
  }
  async function verifyEntry(entry) {
    if (!entry.public_key || !entry.signature || !entry.message) {
      return { ok: false, why: entry.problem || 'no key or signature to check' };
    }
    var ecdsa = entry.algorithm === 'ECDSA-P256';
    var importAlg = ecdsa ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'Ed25519' };
    var verifyAlg = ecdsa ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'Ed25519' };
    try {
      var key = await crypto.subtle.importKey('spki', bytes(entry.public_key), importAlg, false, ['verify']);
      var ok = await crypto.subtle.verify(verifyAlg, key, bytes(entry.signature), bytes(entry.message));
      return { ok: ok, why: ok ? '' : 'the signature does not match the signed bytes' };
    } catch (error) {
      return { ok: false, why: 'this browser cannot check it (' + error + ')' };
    }
  }
  async function verifyAll(entries) {
    var results = [];
    for (var i = 0; i < entries.length; i++) {
      results.push(await verifyEntry(entries[i]));
    }
    return results;
  }
  if (typeof module !== 'undefined' && module.exports) {
    module.exports = { verifyAll: verifyAll };
  }
  if (typeof document === 'undefined') {
    return;
  }
  document.addEventListener('DOMContentLoaded', async function () {
    var data = document.getElementById('wb-signatures');
    if (!data || !window.crypto || !window.crypto.subtle) {
      return;
    }
    var entries = JSON.parse(data.textContent);
    var results = await verifyAll(entries);
    results.forEach(function (result, index) {
      var cell = document.querySelector('[data-signature="' + index + '"]');
      if (cell) {
        cell.textContent = result.ok ? 'verified in this browser' : 'FAILED: ' + result.why;
        cell.className = result.ok ? 'pass' : 'fail';
      }
    });
  });
})();
