// The decision for a new terminal at a clicked point, in plain words: the code, the reasons
// the service gives (who switched an area off and since when come from the API), and the
// details behind it.

import { CODE_TEXT, STATUS_HEX, STATUS_LABEL, statusKey } from "./palette";

export interface Decision {
  allowed: boolean;
  code: string;
  reasons: string[];
  cell: string | null;
  country: string | null;
  country_status: string | null;
  rules: unknown[];
  policy_version: string | number | null;
  serving: {
    norad_id: number;
    name: string;
    elevation_deg: number;
    gateway?: { id: string; name: string } | null;
    pop?: { id: string; name: string } | null;
    /** Propagation only, there and back: the floor under any RTT measured. */
    rtt_ms?: number | null;
    hops?: number | null;
    latency?: ServingLatency | null;
  } | null;
  /** Which records it used (present when asked with `as`), and up to when. */
  as?: AsOf;
  known_at?: string;
  /** The other view's answer where its policy verdict differs (null: they agree). */
  other_view?: OtherView | null;
  [extra: string]: unknown;
}

/** "known": every record so far (as known now); "recorded": those recorded by then. */
export type AsOf = "known" | "recorded";

export interface OtherView {
  as: AsOf;
  allowed: boolean;
  code: string;
  rules: string[];
  reasons: string[];
  summary: string;
}

const VIEW_WORDS: Record<AsOf, string> = { known: "as known now", recorded: "as recorded then" };

/** The words the engine puts in a reason that rests on a reconstruction of the past
 * (`leolink.policy.decide`: a geofence or a country status loaded by `leolink scenario load`). */
const RECONSTRUCTION = "a reconstruction of the public record";

function isReconstruction(reason: string): boolean {
  return reason.includes(RECONSTRUCTION);
}

function reasonList(reasons: string[] | undefined): string {
  if (!reasons?.length) return "";
  return `<ul class="reasons">${reasons
    .map((r) => `<li${isReconstruction(r) ? ' class="reconstructed"' : ""}>${escapeHtml(r)}</li>`)
    .join("")}</ul>`;
}

/** Where the two views differ: the other answer, in words, beside the one asked for. */
function describeOtherView(decision: Decision): string {
  const other = decision.other_view;
  if (!other) {
    return decision.as
      ? `<div class="views-agree muted small">${escapeHtml(VIEW_WORDS[decision.as === "known" ? "recorded" : "known"])} the answer is the same.</div>`
      : "";
  }
  const plain = CODE_TEXT[other.code] ?? other.code.replaceAll("_", " ").toLowerCase();
  return `<div class="views-differ" role="note" data-other-as="${escapeHtml(other.as)}" data-other-code="${escapeHtml(other.code)}">
      <div class="views-differ-head">≠ ${escapeHtml(VIEW_WORDS[other.as])}: ${other.allowed ? "✔ Service" : "✖ No service"}
        — ${escapeHtml(plain)} <code>${escapeHtml(other.code)}</code></div>
      <div class="small">A record about this time was made after it, so the two views answer differently.</div>
      ${reasonList(other.reasons)}
    </div>`;
}

/** The RTT a user at the place would measure to the PoP Starlink assigns (an estimate). */
export interface ServingLatency {
  estimate: string;
  /** Starlink's code for the PoP, `wrswpol1`. */
  pop: string;
  /** How the place was homed to it: `geoip` (Starlink's feed) or `nearest`. */
  pop_source: string;
  min_rtt_ms: number | null;
  median_rtt_ms: number | null;
  p90_rtt_ms: number | null;
  propagation_space_ms: number | null;
  propagation_ground_ms: number | null;
  access_ms: number | null;
  processing_ms: number | null;
  catalog_age_days: number | null;
}

function ms(value: number | null | undefined, digits = 0): string {
  return value == null ? "?" : Number(value).toFixed(digits);
}

/** The median RTT as measured, its spread and its four components, and the propagation floor. */
function describeLatency(s: NonNullable<Decision["serving"]>): string {
  const l = s.latency;
  const floor =
    s.rtt_ms != null
      ? `<div class="muted small">propagation alone (the floor): ${ms(s.rtt_ms)} ms${s.hops != null ? ` over ${s.hops} links` : ""}</div>`
      : "";
  if (!l || l.median_rtt_ms == null) return floor;
  const age = l.catalog_age_days != null ? `, catalog ${ms(l.catalog_age_days, 1)} days from its epochs` : "";
  return `<strong class="rtt-median">${ms(l.median_rtt_ms)} ms</strong> median as a user would measure it
    <span class="muted">(min ${ms(l.min_rtt_ms)}, p90 ${ms(l.p90_rtt_ms)} ms)</span>
    <div class="small rtt-parts">space ${ms(l.propagation_space_ms, 1)} + ground ${ms(l.propagation_ground_ms, 1)} + access ${ms(l.access_ms, 1)} + processing ${ms(l.processing_ms, 1)} ms</div>
    ${floor}<div class="muted small">${escapeHtml(l.estimate)}${escapeHtml(age)}</div>`;
}

export function escapeHtml(value: unknown): string {
  return String(value ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function describeRule(rule: unknown): string {
  if (rule === null || typeof rule !== "object") return escapeHtml(rule);
  const r = rule as Record<string, unknown>;
  const head = [r.kind ?? r.type, r.name ?? r.id].filter((v) => v != null).join(" ");
  const rest = Object.entries(r)
    .filter(([k, v]) => !["kind", "type", "name", "id"].includes(k) && v != null && typeof v !== "object")
    .map(([k, v]) => `${escapeHtml(k)}: ${escapeHtml(v)}`)
    .join(", ");
  return `${escapeHtml(head)}${rest ? ` <span class="muted">(${rest})</span>` : ""}`;
}

export function renderDecision(
  root: HTMLElement,
  decision: Decision,
  where: { lat: number; lon: number; at: string; policyOnly?: boolean },
): void {
  const status = statusKey(decision.country_status);
  const plain = CODE_TEXT[decision.code] ?? decision.code.replaceAll("_", " ").toLowerCase();
  const reasons = reasonList(decision.reasons);
  const reconstructed = [...(decision.reasons ?? []), ...(decision.other_view?.reasons ?? [])].some(isReconstruction);
  const reconstruction = reconstructed
    ? `<div class="reconstruction-note" role="note"><span class="badge reconstruction">reconstruction</span>
        A record here describes the past: the public record replayed into the store later, not
        what the operator's systems said at the time.</div>`
    : "";
  const view = decision.as
    ? `<div class="view-label small">${escapeHtml(VIEW_WORDS[decision.as])}${
        decision.as === "known" && decision.known_at ? ` <span class="muted">(${escapeHtml(decision.known_at)})</span>` : ""
      }</div>`
    : "";
  const rules = decision.rules?.length
    ? `<ul class="rules">${decision.rules.map((r) => `<li>${describeRule(r)}</li>`).join("")}</ul>`
    : '<span class="muted">none</span>';
  const serving = decision.serving
    ? `${escapeHtml(decision.serving.name)} (NORAD ${escapeHtml(decision.serving.norad_id)}), ` +
      `${Number(decision.serving.elevation_deg).toFixed(1)}° above the horizon`
    : `<span class="muted">${where.policyOnly ? "not checked (policy only)" : "none"}</span>`;
  const s = decision.serving;
  const pop = s?.latency?.pop ?? s?.pop?.id;
  const popName = s?.pop && s.pop.id === pop ? ` ${escapeHtml(s.pop.name)}` : "";
  const homed = s?.latency ? ` <span class="muted">(homed by ${escapeHtml(s.latency.pop_source)})</span>` : "";
  const route =
    s && (s.gateway || pop || s.rtt_ms != null)
      ? `<dt>Route</dt><dd>${s.gateway ? `gateway ${escapeHtml(s.gateway.name)}` : ""}${
          pop ? `${s.gateway ? ", " : ""}PoP <code>${escapeHtml(pop)}</code>${popName}${homed}` : ""
        }</dd><dt>RTT</dt><dd class="rtt">${describeLatency(s)}</dd>`
      : "";
  root.innerHTML = `
    <div class="decision ${decision.allowed ? "allowed" : "denied"}${decision.other_view ? " differs" : ""}${
      reconstructed ? " reconstructed" : ""
    }" data-code="${escapeHtml(decision.code)}" data-as="${escapeHtml(decision.as ?? "")}">
      ${view}
      <div class="verdict">${decision.allowed ? "✔ Service" : "✖ No service"}</div>
      <div class="code-plain">${escapeHtml(plain)}</div>
      <code class="code">${escapeHtml(decision.code)}</code>
      ${reasons}
      ${describeOtherView(decision)}
      ${reconstruction}
      <dl>
        <dt>Where</dt><dd>${where.lat.toFixed(4)}°, ${where.lon.toFixed(4)}°</dd>
        <dt>When</dt><dd>${escapeHtml(where.at)}</dd>
        <dt>Country</dt><dd>${escapeHtml(decision.country ?? "—")}
          <span class="chip" style="background:${STATUS_HEX[status]}"></span>${escapeHtml(
            STATUS_LABEL[status],
          )}</dd>
        <dt>Cell</dt><dd><code>${escapeHtml(decision.cell ?? "—")}</code></dd>
        <dt>Rules</dt><dd>${rules}</dd>
        <dt>Serving</dt><dd>${serving}</dd>${route}
        <dt>Policy</dt><dd>version ${escapeHtml(decision.policy_version ?? "—")}</dd>
      </dl>
    </div>`;
}

export function renderError(root: HTMLElement, message: string): void {
  root.innerHTML = `<div class="error" role="alert">${escapeHtml(message)}</div>`;
}
