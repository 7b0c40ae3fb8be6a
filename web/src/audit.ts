// The audit tab: the hash-chained log (GET /v1/audit, paged by sequence number) and its
// verification (GET /v1/audit/verify): OK, or the first bad record and why.

import { get, listOf } from "./api";
import { escapeHtml } from "./decision";
import { TransparencyPanel } from "./transparency";

interface Verify {
  ok: boolean;
  records: number;
  first_bad: number | null;
  reason: string | null;
}

type AuditRecord = Record<string, unknown>;

const PAGE = 50;

/** "2026-05-13T12:00:00.123456Z" as "2026-05-13 12:00:00" (the full value is in the details). */
function shortTime(value: unknown): string {
  return value == null ? "" : String(value).replace("T", " ").replace(/(\.\d+)?Z$/, "");
}

function pick(record: AuditRecord, ...names: string[]): unknown {
  for (const name of names) if (record[name] != null) return record[name];
  return null;
}

export class AuditPane {
  private lastSeq = 0;
  /** The public transparency log (checkpoints, witnesses, proofs): shown without a key. */
  readonly transparency: TransparencyPanel;

  constructor(private readonly root: HTMLElement) {
    root.innerHTML = `
      <div id="tlog"></div>
      <div class="row"><button id="audit-verify" type="button">Verify the chain</button>
        <button id="audit-reload" type="button">Reload</button></div>
      <div id="audit-result" role="status"></div>
      <table class="audit"><thead><tr><th>#</th><th>when</th><th>who</th><th>what</th></tr></thead>
        <tbody id="audit-rows"></tbody></table>
      <button id="audit-more" type="button" hidden>More</button>`;
    root.querySelector("#audit-verify")!.addEventListener("click", () => void this.verify());
    root.querySelector("#audit-reload")!.addEventListener("click", () => void this.reload());
    root.querySelector("#audit-more")!.addEventListener("click", () => void this.more());
    this.transparency = new TransparencyPanel(root.querySelector("#tlog")!);
    root.querySelector("#audit-rows")!.addEventListener("click", (event) => {
      const button = (event.target as HTMLElement).closest<HTMLButtonElement>("button.prove");
      if (button) void this.transparency.prove(Number(button.dataset.seq), button.dataset.hash);
    });
  }

  async reload(): Promise<void> {
    this.lastSeq = 0;
    this.root.querySelector("#audit-rows")!.innerHTML = "";
    await this.more();
  }

  private show(html: string): void {
    this.root.querySelector("#audit-result")!.innerHTML = html;
  }

  async verify(): Promise<void> {
    try {
      const v = await get<Verify>("/v1/audit/verify", {}, true);
      this.show(
        v.ok
          ? `<div class="ok" data-ok="true">✔ Chain OK — ${v.records} records verified.</div>`
          : `<div class="error" data-ok="false">✖ Chain broken at record #${escapeHtml(v.first_bad)} of ${v.records}: ${escapeHtml(v.reason ?? "")}</div>`,
      );
    } catch (error) {
      this.show(`<div class="error">${escapeHtml((error as Error).message)}</div>`);
    }
  }

  private async more(): Promise<void> {
    try {
      const records = listOf<AuditRecord>(
        await get("/v1/audit", { after_seq: this.lastSeq, limit: PAGE }, true),
        "records",
      );
      const rows = records.map((r) => {
        const seq = Number(pick(r, "seq", "sequence", "id") ?? 0);
        this.lastSeq = Math.max(this.lastSeq, seq);
        const what = [pick(r, "action", "kind", "event"), pick(r, "entity", "subject", "entity_type"), pick(r, "entity_id", "subject_id")]
          .filter((v) => v != null)
          .join(" ");
        const reason = pick(r, "reason");
        const hash = String(pick(r, "hash") ?? "");
        return `<tr><td><button type="button" class="prove" data-seq="${seq}" data-hash="${escapeHtml(hash)}" title="Prove this record is in the published checkpoint">${escapeHtml(seq)}</button></td><td>${escapeHtml(shortTime(pick(r, "ts", "at", "recorded_at", "time", "created_at")))}</td>
          <td>${escapeHtml(pick(r, "actor", "by", "who") ?? "")}</td>
          <td><details><summary>${escapeHtml(what || "record")}${reason ? ` — <span class="muted">${escapeHtml(reason)}</span>` : ""}</summary><pre>${escapeHtml(JSON.stringify(r, null, 1))}</pre></details></td></tr>`;
      });
      this.root.querySelector("#audit-rows")!.insertAdjacentHTML("beforeend", rows.join(""));
      (this.root.querySelector("#audit-more") as HTMLElement).hidden = records.length < PAGE;
    } catch (error) {
      this.show(`<div class="error">${escapeHtml((error as Error).message)}</div>`);
    }
  }
}
