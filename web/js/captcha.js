// The "security code" (ALTCHA proof of work): find the number n with SHA-256(salt + n) == challenge.
// Nothing leaves the browser but the answer; no third party is involved.

const encoder = new TextEncoder();

function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function sha256Subtle(text) {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text))));
}

// Web Crypto exists only in secure contexts (https, or http on 127.0.0.1/localhost). When the portal is
// opened by another address on a development network, this small SHA-256 does the same work.
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const ror = (x, n) => (x >>> n) | (x << (32 - n));

export function sha256Hex(text) {
  const bytes = encoder.encode(text);
  const padded = new Uint8Array(((bytes.length + 72) >> 6) << 6);
  padded.set(bytes);
  padded[bytes.length] = 0x80;
  const view = new DataView(padded.buffer);
  const bits = bytes.length * 8;
  view.setUint32(padded.length - 8, Math.floor(bits / 0x100000000));
  view.setUint32(padded.length - 4, bits >>> 0);
  const H = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const W = new Uint32Array(64);
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let i = 0; i < 16; i++) W[i] = view.getUint32(offset + i * 4);
    for (let i = 16; i < 64; i++) {
      const s0 = ror(W[i - 15], 7) ^ ror(W[i - 15], 18) ^ (W[i - 15] >>> 3);
      const s1 = ror(W[i - 2], 17) ^ ror(W[i - 2], 19) ^ (W[i - 2] >>> 10);
      W[i] = W[i - 16] + s0 + W[i - 7] + s1;
    }
    let [a, b, c, d, e, f, g, h] = H;
    for (let i = 0; i < 64; i++) {
      const t1 = (h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
      const t2 = ((ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    H[0] += a; H[1] += b; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += h;
  }
  return Array.from(H, (x) => x.toString(16).padStart(8, "0")).join("");
}

/**
 * Solve an ALTCHA v1 challenge {algorithm, challenge, maxnumber, salt, signature}.
 * Resolves to the number, or null when no number up to maxnumber fits. `onProgress(fraction)` is
 * called between batches; `signal` aborts.
 */
export async function solveChallenge(challenge, { onProgress, signal, batch = 1000 } = {}) {
  if (challenge.algorithm !== "SHA-256") throw new Error(`unsupported algorithm ${challenge.algorithm}`);
  const digest = globalThis.crypto && crypto.subtle ? sha256Subtle : async (text) => sha256Hex(text);
  const max = Number(challenge.maxnumber ?? challenge.maxNumber ?? 1_000_000);
  const target = String(challenge.challenge).toLowerCase();
  for (let start = 0; start <= max; start += batch) {
    if (signal && signal.aborted) throw new DOMException("The security check was stopped.", "AbortError");
    const end = Math.min(start + batch - 1, max);
    const tries = [];
    for (let n = start; n <= end; n++) tries.push(digest(challenge.salt + String(n)));
    const found = (await Promise.all(tries)).indexOf(target);
    if (found >= 0) return start + found;
    if (onProgress) onProgress(Math.min(1, (end + 1) / (max + 1)));
  }
  return null;
}

/** The base64 payload a form sends in `captcha`. */
export function solutionPayload(challenge, number) {
  return btoa(JSON.stringify({
    algorithm: challenge.algorithm,
    challenge: challenge.challenge,
    number,
    salt: challenge.salt,
    signature: challenge.signature,
  }));
}

const CAPTCHA_FRESH_MS = 8 * 60 * 1000; // challenges expire after 10 minutes

/**
 * The "I am not a robot" box of a form: `check` (checkbox), `status` (live text) and `input` (the hidden
 * `captcha` field). A challenge is fetched from `path` and solved when the box is ticked, or at the
 * latest by `ensure()` before the form is sent. Returns {ensure, reset}: `ensure()` resolves to true
 * once `input` holds a fresh solution; `reset(message)` forgets it (a solution is good for one attempt).
 */
export function captchaWidget({ check, status, input, fetchChallenge }) {
  let solvedAt = 0;
  let run = null;

  function state(text, kind = "") {
    status.textContent = text;
    status.className = `captcha-status ${kind}`.trim();
  }

  function reset(message = "") {
    input.value = "";
    solvedAt = 0;
    check.checked = false;
    check.disabled = false;
    state(message, message ? "failed" : "");
  }

  async function solve() {
    check.checked = true;
    check.disabled = true;
    state("Verifying you are human…");
    const challenge = await fetchChallenge();
    if (!challenge.ok) {
      reset("Could not get a security code. Try again.");
      return false;
    }
    let last = -1;
    const number = await solveChallenge(challenge.data, {
      onProgress: (fraction) => {
        const percent = Math.floor(fraction * 100);
        if (percent >= last + 10) {
          last = percent;
          state(`Verifying you are human… ${percent}%`);
        }
      },
    });
    if (number === null) {
      reset("The security check failed. Tick the box to try again.");
      return false;
    }
    input.value = solutionPayload(challenge.data, number);
    solvedAt = Date.now();
    state("Verified", "done");
    return true;
  }

  function ensure() {
    if (input.value && Date.now() - solvedAt < CAPTCHA_FRESH_MS) return Promise.resolve(true);
    if (!run) run = solve().finally(() => { run = null; });
    return run;
  }

  check.addEventListener("change", () => {
    if (check.checked) ensure();
  });
  return { ensure, reset };
}
