// The audit tab: the hash-chained log (GET /v1/audit, read whole, shown newest first and
// filtered by what changed, who, the action, an id or a reason) and its verification
// (GET /v1/audit/verify): OK, or the first bad record and why.

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

/** Records read per request, and at most this many requests for the whole log. */
const FETCH = 1000;
const MAX_FETCHES = 50;

export class AuditPane {
  /** Every record, newest first. */
  private records: AuditRecord[] = [];
  private shown = PAGE;
  /** The public transparency log (checkpoints, witnesses, proofs): shown without a key. */
  readonly transparency: TransparencyPanel;

  constructor(private readonly root: HTMLElement) {
    root.innerHTML = `
      <div id="tlog"></div>
      <div class="row"><button id="audit-verify" type="button">Verify the chain</button>
        <button id="audit-reload" type="button">Reload</button></div>
      <div id="audit-result" role="status"></div>
      <div class="audit-filters">
        <select id="audit-entity" aria-label="what changed"><option value="">everything</option></select>
        <select id="audit-actor" aria-label="who"><option value="">anyone</option></select>
        <select id="audit-action" aria-label="action"><option value="">any action</option></select>
        <input id="audit-text" type="search" placeholder="id or reason" aria-label="filter by id or reason" />
      </div>
      <p id="audit-count" class="muted small"></p>
      <table class="audit"><thead><tr><th>#</th><th>when</th><th>who</th><th>what</th></tr></thead>
        <tbody id="audit-rows"></tbody></table>
      <button id="audit-more" type="button" hidden>More</button>`;
    root.querySelector("#audit-verify")!.addEventListener("click", () => void this.verify());
    root.querySelector("#audit-reload")!.addEventListener("click", () => void this.reload());
    root.querySelector("#audit-more")!.addEventListener("click", () => {
      this.shown += PAGE;
      this.render();
    });
    this.transparency = new TransparencyPanel(root.querySelector("#tlog")!);
    root.querySelector("#audit-rows")!.addEventListener("click", (event) => {
      const button = (event.target as HTMLElement).closest<HTMLButtonElement>("button.prove");
      if (button) void this.transparency.prove(Number(button.dataset.seq), button.dataset.hash);
    });
    for (const id of ["#audit-entity", "#audit-actor", "#audit-action", "#audit-text"]) {
      root.querySelector(id)!.addEventListener("input", () => {
        this.shown = PAGE;
        this.render();
      });
    }
  }

  /** Read the whole log (oldest first, as the API pages it) and show it newest first. */
  async reload(): Promise<void> {
    const all: AuditRecord[] = [];
    let after = 0;
    try {
      for (let i = 0; i < MAX_FETCHES; i++) {
        const page: any = await get("/v1/audit", { order: "oldest", after_seq: after, limit: FETCH }, true);
        all.push(...listOf<AuditRecord>(page, "records"));
        if (page?.next == null) break;
        after = Number(page.next);
      }
    } catch (error) {
      this.show(`<div class="error">${escapeHtml((error as Error).message)}</div>`);
    }
    this.records = all.reverse();
    this.shown = PAGE;
    this.fillChoices();
    this.render();
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

  private value(id: string): string {
    return (this.root.querySelector(id) as HTMLInputElement).value;
  }

  /** The filters' choices: the entities, actors and actions the log holds. */
  private fillChoices(): void {
    for (const [id, field] of [
      ["#audit-entity", "entity"],
      ["#audit-actor", "actor"],
      ["#audit-action", "action"],
    ] as const) {
      const select = this.root.querySelector(id) as HTMLSelectElement;
      const keep = select.value;
      const values = [...new Set(this.records.map((r) => String(r[field] ?? "")).filter(Boolean))].sort();
      select.innerHTML = `${select.options[0].outerHTML}${values.map((v) => `<option value="${escapeHtml(v)}">${escapeHtml(v.replaceAll("_", " "))}</option>`).join("")}`;
      select.value = values.includes(keep) ? keep : "";
    }
  }

  private render(): void {
    const entity = this.value("#audit-entity");
    const actor = this.value("#audit-actor");
    const action = this.value("#audit-action");
    const text = this.value("#audit-text").trim().toLowerCase();
    const matching = this.records.filter(
      (r) =>
        (!entity || r.entity === entity) &&
        (!actor || r.actor === actor) &&
        (!action || r.action === action) &&
        (!text || `${r.entity_id ?? ""} ${r.reason ?? ""}`.toLowerCase().includes(text)),
    );
    const rows = matching.slice(0, this.shown).map((r) => {
      const seq = Number(pick(r, "seq", "sequence", "id") ?? 0);
      const what = [pick(r, "action", "kind", "event"), pick(r, "entity", "subject", "entity_type"), pick(r, "entity_id", "subject_id")]
        .filter((v) => v != null)
        .join(" ");
      const reason = pick(r, "reason");
      const hash = String(pick(r, "hash") ?? "");
      return `<tr data-seq="${escapeHtml(seq)}"><td><button type="button" class="prove" data-seq="${seq}" data-hash="${escapeHtml(hash)}" title="Prove this record is in the published checkpoint">${escapeHtml(seq)}</button></td><td>${escapeHtml(shortTime(pick(r, "ts", "at", "recorded_at", "time", "created_at")))}</td>
          <td>${escapeHtml(pick(r, "actor", "by", "who") ?? "")}</td>
          <td><details><summary>${escapeHtml(what || "record")}${reason ? ` — <span class="muted">${escapeHtml(reason)}</span>` : ""}</summary><pre>${escapeHtml(JSON.stringify(r, null, 1))}</pre></details></td></tr>`;
    });
    this.root.querySelector("#audit-rows")!.innerHTML = rows.join("");
    this.root.querySelector("#audit-count")!.textContent = `${matching.length.toLocaleString("en")} of ${this.records.length.toLocaleString("en")} records, newest first`;
    (this.root.querySelector("#audit-more") as HTMLElement).hidden = matching.length <= this.shown;
  }
}
