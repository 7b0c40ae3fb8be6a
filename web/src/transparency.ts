// The transparency log in the Audit tab: checkpoints with their witnesses' cosignatures
// (GET /v1/log/checkpoints, /v1/log/witnesses), and a record proved on click: the RFC 9162
// inclusion proof (GET /v1/log/proof/inclusion) is checked here, in the browser, against the
// root of the newest published checkpoint — the service is not trusted to say "included".
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
  url: string;
  size: number | null;
  last_error: string | null;
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

export class TransparencyPanel {
  private checkpoints: Checkpoint[] = [];

  constructor(private readonly root: HTMLElement) {
    root.innerHTML = `
      <h3>Transparency log</h3>
      <div id="tlog-witnesses" class="muted"></div>
      <table class="audit tlog"><thead><tr><th>size</th><th>root</th><th>witnessed by</th></tr></thead>
        <tbody id="tlog-checkpoints"></tbody></table>
      <form id="tlog-prove" class="row"><label>Prove record # <input id="tlog-seq" type="number" min="1" step="1" required /></label>
        <button type="submit">Prove</button></form>
      <div id="tlog-proof" role="status"></div>`;
    root.querySelector("#tlog-prove")!.addEventListener("submit", (event) => {
      event.preventDefault();
      const seq = Number((root.querySelector("#tlog-seq") as HTMLInputElement).value);
      void this.prove(seq);
    });
  }

  async load(): Promise<void> {
    try {
      const [list, witnesses] = await Promise.all([
        get<{ quorum: number; items: Checkpoint[] }>("/v1/log/checkpoints", { limit: 10 }),
        get<{ quorum: number; witnesses: Witness[] }>("/v1/log/witnesses"),
      ]);
      this.checkpoints = list.items;
      const policy = witnesses.witnesses.length
        ? `Published when ${witnesses.quorum} of ${witnesses.witnesses.length} witnesses cosign: ` +
          witnesses.witnesses
            .map((w) => `<span class="witness ${w.last_error ? "down" : "up"}" title="${escapeHtml(w.last_error ?? w.url)}">${escapeHtml(w.name)} (${w.size ?? "?"})</span>`)
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
            }</td></tr>`,
        )
        .join("");
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
