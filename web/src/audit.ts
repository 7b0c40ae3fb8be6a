// The audit tab: the hash-chained log (GET /v1/audit, newest first, a page at a time: "More"
// asks for the records before the last one shown, `before_seq`), filtered by the service —
// who (`actor`, however the name is spelt), what (`kind`: an action or a kind of record), the
// record's id (`entity_id`) and the days (`since`/`until`) — and its verification
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

/** Records asked for per page. */
const PAGE = 50;
/** The kinds of record the log holds (the API's `entity`); `kind` also takes one action. */
const KINDS = ["geofence", "country_status", "terminal", "api_key"];
/** Typing in a filter asks the service again after this pause. */
const TYPING_MS = 300;

/** "2026-05-13T12:00:00.123456Z" as "2026-05-13 12:00:00" (the full value is in the details). */
function shortTime(value: unknown): string {
  return value == null ? "" : String(value).replace("T", " ").replace(/(\.\d+)?Z$/, "");
}

function pick(record: AuditRecord, ...names: string[]): unknown {
  for (const name of names) if (record[name] != null) return record[name];
  return null;
}

/** A day of a date input ("2026-05-13") as the UTC instant it starts, `days` later. */
function dayStart(day: string, days = 0): string | null {
  if (!day) return null;
  const t = Date.parse(`${day}T00:00:00Z`);
  return Number.isNaN(t) ? null : new Date(t + days * 86_400_000).toISOString();
}

const FILTERS = ["#audit-actor", "#audit-kind", "#audit-id", "#audit-since", "#audit-until"];

export class AuditPane {
  /** The records read so far for the current filters, newest first. */
  private records: AuditRecord[] = [];
  /** The `before_seq` of the next page; null when the last page is read. */
  private next: number | null = null;
  /** Which request is current: a reply to an older one (filters since changed) is dropped. */
  private request = 0;
  private typing: number | undefined;
  /** The public transparency log (checkpoints, witnesses, proofs): shown without a key. */
  readonly transparency: TransparencyPanel;

  constructor(private readonly root: HTMLElement) {
    root.innerHTML = `
      <div id="tlog"></div>
      <div class="row"><button id="audit-verify" type="button">Verify the chain</button>
        <button id="audit-reload" type="button">Reload</button></div>
      <div id="audit-result" role="status"></div>
      <div class="audit-filters">
        <input id="audit-actor" type="search" placeholder="who" aria-label="who made the change" list="audit-actors" />
        <input id="audit-kind" type="search" placeholder="what: geofence, geofence.approve" aria-label="what: a kind of record or an action" list="audit-kinds" />
        <input id="audit-id" type="search" placeholder="record id" aria-label="the id of the record changed" />
        <label class="small">from <input id="audit-since" type="date" aria-label="from this day (UTC)" /></label>
        <label class="small">to <input id="audit-until" type="date" aria-label="to this day (UTC), inclusive" /></label>
        <datalist id="audit-actors"></datalist>
        <datalist id="audit-kinds">${KINDS.map((k) => `<option value="${k}"></option>`).join("")}</datalist>
      </div>
      <p id="audit-count" class="muted small"></p>
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
    for (const id of FILTERS) {
      root.querySelector(id)!.addEventListener("input", () => {
        window.clearTimeout(this.typing);
        this.typing = window.setTimeout(() => void this.reload(), TYPING_MS);
      });
    }
  }

  /** The filters as the API's query: only those given. */
  private filters(): Record<string, string | null> {
    const text = (id: string) => this.value(id).trim() || null;
    return {
      actor: text("#audit-actor"),
      kind: text("#audit-kind"),
      entity_id: text("#audit-id"),
      since: dayStart(this.value("#audit-since")),
      until: dayStart(this.value("#audit-until"), 1),
    };
  }

  /** The first page, newest first, for the filters as they are now. */
  async reload(): Promise<void> {
    window.clearTimeout(this.typing);
    this.records = [];
    this.next = null;
    await this.page(null);
  }

  /** The next page: the records before the oldest one shown. */
  async more(): Promise<void> {
    if (this.next != null) await this.page(this.next);
  }

  private async page(before: number | null): Promise<void> {
    const request = ++this.request;
    try {
      const page: any = await get(
        "/v1/audit",
        { ...this.filters(), order: "newest", before_seq: before, limit: PAGE },
        true,
      );
      if (request !== this.request) return;
      this.records.push(...listOf<AuditRecord>(page, "records"));
      this.next = page?.next == null ? null : Number(page.next);
      if (this.root.querySelector("#audit-result .error")) this.show("");
    } catch (error) {
      if (request !== this.request) return;
      this.next = null;
      this.show(`<div class="error">${escapeHtml((error as Error).message)}</div>`);
    }
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

  /** Suggestions for the filters: the people and actions seen so far (any may be typed). */
  private fillChoices(): void {
    for (const [id, values] of [
      ["#audit-actors", this.records.map((r) => String(r.actor ?? ""))],
      ["#audit-kinds", [...KINDS, ...this.records.map((r) => String(r.action ?? ""))]],
    ] as const) {
      const list = this.root.querySelector(id) as HTMLDataListElement;
      const known = new Set([...list.options].map((o) => o.value));
      for (const v of values) if (v && !known.has(v)) known.add(v);
      list.innerHTML = [...known].sort().map((v) => `<option value="${escapeHtml(v)}"></option>`).join("");
    }
  }

  private render(): void {
    const rows = this.records.map((r) => {
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
    const filtered = Object.values(this.filters()).some((v) => v != null);
    const n = this.records.length.toLocaleString("en");
    this.root.querySelector("#audit-count")!.textContent =
      `${n} ${filtered ? "matching " : ""}record${this.records.length === 1 ? "" : "s"}${this.next != null ? " so far" : ""}, newest first`;
    (this.root.querySelector("#audit-more") as HTMLElement).hidden = this.next == null;
  }
}
