// The transparency log in the Audit tab: checkpoints with their witnesses' cosignatures
// (GET /v1/log/checkpoints, /v1/log/witnesses), and a record proved on click: the RFC 9162
// inclusion proof (GET /v1/log/proof/inclusion) is checked here, in the browser, against the
// root of the newest published checkpoint — the service is not trusted to say "included".
// Every signature on every checkpoint is checked here too (C2SP signed-note: the log's Ed25519
// signature; c2sp.org/tlog-cosignature: each witness's), with WebCrypto's Ed25519, against the
// keys in the "Keys" box: filled in from what the service lists, or pasted by a user who got
// them elsewhere (then only those are trusted).  Each signature shows ✓ (valid under a key in
// the box), ✗ (a key in the box, a signature that does not verify) or ? (no key for it).
// Public reads: no key needed.

import { get } from "./api";
import { escapeHtml } from "./decision";

interface Cosignature {
  witness: string;
  timestamp: number;
}

interface Checkpoint {
  size: number;
  root: string;
  note: string;
  cosignatures: Cosignature[];
  published: boolean;
}

interface Witness {
  name: string;
  key: string;
  url: string | null;
  size: number | null;
  last_error: string | null;
}

interface Witnesses {
  quorum: number;
  witnesses: Witness[];
  log_key: string | null;
}

/** A verifier key (C2SP signed-note): who signs, the 4-byte key ID, the type (0x01 a log,
 * 0x04 a witness's cosignature) and the Ed25519 public key. */
interface VerifierKey {
  name: string;
  id: string; // hex
  type: number;
  key: CryptoKey;
}

/** One signature line's check: who, and ✓ / ✗ / ? (no key in the box for it). */
export interface SignatureCheck {
  signer: string;
  kind: "log" | "witness" | "unknown";
  valid: boolean | null;
}

interface InclusionProof {
  seq: number;
  size: number;
  record_hash: string;
  proof: string[];
}

const fromBase64 = (text: string): Uint8Array => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const fromHex = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
const toBase64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes));

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", joined));
}

const KEYS_STORAGE = "leolink.tlog.keys";
const DASH = "\u2014 "; // an em dash and a space open every signature line

/** Parse `name+hexid+base64(type || key)`, checking the key ID as C2SP defines it:
 * SHA-256(name || "\n" || type || key)[:4].  Null for anything else. */
export async function parseVerifierKey(text: string): Promise<VerifierKey | null> {
  // The base64 may hold "+" itself: the name and the ID are the first two fields.
  const match = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(text.trim());
  if (!match) return null;
  const parts = match.slice(1);
  let material: Uint8Array;
  try {
    material = fromBase64(parts[2]);
  } catch {
    return null;
  }
  if (material.length !== 33 || (material[0] !== 0x01 && material[0] !== 0x04)) return null;
  const id = await sha256(new TextEncoder().encode(`${parts[0]}\n`), material);
  if (hex(id.slice(0, 4)) !== parts[1]) return null;
  const key = await crypto.subtle.importKey("raw", new Uint8Array(material.slice(1)), { name: "Ed25519" }, false, ["verify"]);
  return { name: parts[0], id: parts[1], type: material[0], key };
}

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** Check every signature line of a checkpoint note with `keys`. */
export async function checkNote(note: string, keys: VerifierKey[]): Promise<SignatureCheck[]> {
  const cut = note.indexOf("\n\n");
  if (cut < 0) return [];
  const text = note.slice(0, cut + 1);
  const out: SignatureCheck[] = [];
  for (const line of note.slice(cut + 2).split("\n")) {
    if (!line.startsWith(DASH)) continue;
    const [signer, blob64] = line.slice(DASH.length).split(" ");
    let blob: Uint8Array;
    try {
      blob = fromBase64(blob64 ?? "");
    } catch {
      out.push({ signer, kind: "unknown", valid: false });
      continue;
    }
    const id = hex(blob.slice(0, 4));
    const key = keys.find((k) => k.name === signer && k.id === id);
    if (!key) {
      out.push({ signer, kind: "unknown", valid: null });
      continue;
    }
    let message: Uint8Array;
    let signature: Uint8Array;
    if (key.type === 0x01) {
      message = new TextEncoder().encode(text);
      signature = blob.slice(4);
    } else {
      // c2sp.org/tlog-cosignature: key ID, 8-byte big-endian timestamp, signature over
      // "cosignature/v1\ntime <timestamp>\n" + the checkpoint's text.
      const time = new DataView(blob.buffer, blob.byteOffset + 4, 8).getBigUint64(0);
      message = new TextEncoder().encode(`cosignature/v1\ntime ${time}\n${text}`);
      signature = blob.slice(12);
    }
    const valid = signature.length === 64 && (await crypto.subtle.verify({ name: "Ed25519" }, key.key, new Uint8Array(signature), new Uint8Array(message)));
    out.push({ signer, kind: key.type === 0x01 ? "log" : "witness", valid });
  }
  return out;
}

const LEAF = new Uint8Array([0]);
const NODE = new Uint8Array([1]);

/** RFC 9162 section 2.1.3.2: the root an inclusion proof leads to from leaf `index` of `size`. */
export async function rootFromInclusion(index: number, size: number, leafHash: Uint8Array, proof: Uint8Array[]): Promise<Uint8Array | null> {
  if (index < 0 || index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(NODE, p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await sha256(NODE, r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

function when(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

function sigBadge(c: SignatureCheck): string {
  const [mark, state, title] =
    c.valid === null
      ? ["?", "unknown", "no key in the Keys box for this signer"]
      : c.valid
        ? ["✓", "valid", `${c.kind === "log" ? "the log's signature" : "a witness's cosignature"}, verified in this browser`]
        : ["✗", "invalid", "does not verify under the key in the Keys box"];
  return `<span class="sig ${state}" data-signer="${escapeHtml(c.signer)}" data-valid="${c.valid}" title="${escapeHtml(title)}">${mark} ${escapeHtml(c.signer)}</span>`;
}

export class TransparencyPanel {
  private checkpoints: Checkpoint[] = [];
  private serviceKeys: string[] = [];

  constructor(private readonly root: HTMLElement) {
    root.innerHTML = `
      <h3>Transparency log</h3>
      <div id="tlog-witnesses" class="muted"></div>
      <details id="tlog-keys"><summary>Keys the signatures are checked with</summary>
        <textarea id="tlog-keys-text" rows="3" spellcheck="false" aria-label="Verifier keys, one a line"></textarea>
        <div class="row"><button id="tlog-keys-use" type="button">Check with these keys</button>
          <button id="tlog-keys-service" type="button">Use the service's keys</button></div>
        <div id="tlog-keys-note" class="muted"></div></details>
      <table class="audit tlog"><thead><tr><th>size</th><th>root</th><th>witnessed by · signatures checked here</th></tr></thead>
        <tbody id="tlog-checkpoints"></tbody></table>
      <form id="tlog-prove" class="row"><label>Prove record # <input id="tlog-seq" type="number" min="1" step="1" required /></label>
        <button type="submit">Prove</button></form>
      <div id="tlog-proof" role="status"></div>`;
    root.querySelector("#tlog-prove")!.addEventListener("submit", (event) => {
      event.preventDefault();
      const seq = Number((root.querySelector("#tlog-seq") as HTMLInputElement).value);
      void this.prove(seq);
    });
    root.querySelector("#tlog-keys-use")!.addEventListener("click", () => {
      const text = (root.querySelector("#tlog-keys-text") as HTMLTextAreaElement).value;
      localStorage.setItem(KEYS_STORAGE, text);
      void this.checkSignatures();
    });
    root.querySelector("#tlog-keys-service")!.addEventListener("click", () => {
      localStorage.removeItem(KEYS_STORAGE);
      (root.querySelector("#tlog-keys-text") as HTMLTextAreaElement).value = this.serviceKeys.join("\n");
      void this.checkSignatures();
    });
  }

  /** The keys in the box: the user's own when they set some, else the service's. */
  private keysText(): string {
    return localStorage.getItem(KEYS_STORAGE) ?? this.serviceKeys.join("\n");
  }

  /** Check every signature of every listed checkpoint and show ✓ / ✗ / ? for each. */
  async checkSignatures(): Promise<void> {
    const note = this.root.querySelector("#tlog-keys-note")!;
    if (!globalThis.crypto?.subtle) {
      note.textContent = "This page is not a secure context (https or localhost): the browser cannot check signatures.";
      return;
    }
    const lines = this.keysText().split("\n").map((l) => l.trim()).filter(Boolean);
    const parsed = await Promise.all(lines.map(parseVerifierKey));
    const keys = parsed.filter((k): k is VerifierKey => k !== null);
    const bad = lines.filter((_, i) => parsed[i] === null);
    const own = localStorage.getItem(KEYS_STORAGE) !== null;
    note.textContent =
      `${keys.length} key(s) ${own ? "you gave" : "as the service lists them (paste your own to trust only those)"}` +
      (bad.length ? `; not a verifier key: ${bad.join(", ")}` : "");
    for (const row of this.root.querySelectorAll<HTMLTableRowElement>("#tlog-checkpoints tr")) {
      const checkpoint = this.checkpoints.find((c) => String(c.size) === row.dataset.size);
      const cell = row.querySelector<HTMLElement>("div.sigs");
      if (!checkpoint || !cell) continue;
      const checks = await checkNote(checkpoint.note, keys);
      cell.innerHTML = checks.map(sigBadge).join(" ") || `<span class="muted">no signatures</span>`;
      row.dataset.signatures = checks.every((c) => c.valid === true) ? "valid" : checks.some((c) => c.valid === false) ? "invalid" : "unknown";
    }
  }

  async load(): Promise<void> {
    try {
      const [list, witnesses] = await Promise.all([
        get<{ quorum: number; items: Checkpoint[] }>("/v1/log/checkpoints", { limit: 10 }),
        get<Witnesses>("/v1/log/witnesses"),
      ]);
      this.checkpoints = list.items;
      this.serviceKeys = [witnesses.log_key, ...witnesses.witnesses.map((w) => w.key)].filter((k): k is string => !!k);
      (this.root.querySelector("#tlog-keys-text") as HTMLTextAreaElement).value = this.keysText();
      const policy = witnesses.witnesses.length
        ? `Published when ${witnesses.quorum} of ${witnesses.witnesses.length} witnesses cosign: ` +
          witnesses.witnesses
            .map((w) => `<span class="witness ${w.last_error ? "down" : "up"}" title="${escapeHtml(w.last_error ?? w.url ?? "pulls (leolink witness follow)")}">${escapeHtml(w.name)} (${w.size ?? "?"})</span>`)
            .join(", ")
        : "No witnesses configured: checkpoints carry the log's signature alone.";
      this.root.querySelector("#tlog-witnesses")!.innerHTML = policy;
      this.root.querySelector("#tlog-checkpoints")!.innerHTML = list.items
        .map(
          (c) => `<tr data-size="${c.size}" data-published="${c.published}"><td>${c.size}${c.published ? " ✔" : ""}</td>
            <td><details><summary><code>${escapeHtml(c.root.slice(0, 12))}…</code></summary><pre>${escapeHtml(c.note)}</pre></details></td>
            <td>${
              c.cosignatures.length
                ? c.cosignatures.map((s) => `<span class="cosig" title="${escapeHtml(when(s.timestamp))}">${escapeHtml(s.witness)}</span>`).join(" ")
                : `<span class="muted">${list.quorum ? "waiting" : "log key only"}</span>`
            }<div class="sigs" aria-label="signatures checked in this browser"></div></td></tr>`,
        )
        .join("");
      await this.checkSignatures();
    } catch (error) {
      this.show(`<div class="error">${escapeHtml((error as Error).message)}</div>`);
    }
  }

  private show(html: string): void {
    const box = this.root.querySelector<HTMLElement>("#tlog-proof")!;
    box.innerHTML = html;
    box.scrollIntoView?.({ block: "nearest" }); // a record clicked far down the list: show the answer
  }

  /** Prove record `seq` in the newest published checkpoint; `recordHash` (hex, from the audit
   * list) must then be the hash the proof is for. */
  async prove(seq: number, recordHash?: string): Promise<boolean> {
    if (!this.checkpoints.length) await this.load();
    const checkpoint = this.checkpoints.find((c) => c.published);
    if (!checkpoint) {
      this.show(`<div class="error" data-proved="false">No published checkpoint yet: the witnesses have not cosigned one.</div>`);
      return false;
    }
    if (!Number.isInteger(seq) || seq < 1 || seq > checkpoint.size) {
      this.show(`<div class="error" data-proved="false">Record #${escapeHtml(seq)} is not in the published checkpoint of ${checkpoint.size} records.</div>`);
      return false;
    }
    try {
      const p = await get<InclusionProof>("/v1/log/proof/inclusion", { seq, size: checkpoint.size });
      const leaf = await sha256(LEAF, fromHex(p.record_hash));
      const root = await rootFromInclusion(seq - 1, checkpoint.size, leaf, p.proof.map(fromBase64));
      const sameRecord = recordHash === undefined || recordHash === p.record_hash;
      const ok = root !== null && toBase64(root) === checkpoint.root && sameRecord;
      const by = checkpoint.cosignatures.map((s) => s.witness).join(", ");
      this.show(
        ok
          ? `<div class="ok" data-proved="true">✔ Record #${seq} is in the checkpoint of ${checkpoint.size} records${by ? `, cosigned by ${escapeHtml(by)}` : ""}: ${p.proof.length} proof hashes checked in this browser lead to its root <code>${escapeHtml(checkpoint.root.slice(0, 12))}…</code>.</div>`
          : `<div class="error" data-proved="false">✖ Record #${seq}: ${sameRecord ? "the proof does not lead to the checkpoint's root" : "the log holds another hash for this record than the one listed"}.</div>`,
      );
      return ok;
    } catch (error) {
      this.show(`<div class="error" data-proved="false">${escapeHtml((error as Error).message)}</div>`);
      return false;
    }
  }
}
