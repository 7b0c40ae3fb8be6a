// The search box: places, countries, coordinates ("48.85, 2.35") and satellites by name or
// NORAD number, listed as the user types; Enter or a click chooses one.

import { escapeHtml } from "./decision";
import { fold, type SearchResult } from "./places";

export class SearchBox {
  private results: SearchResult[] = [];
  private active = 0;
  private readonly input: HTMLInputElement;
  private readonly list: HTMLUListElement;

  constructor(
    form: HTMLFormElement,
    private readonly find: (query: string) => SearchResult[],
    private readonly choose: (result: SearchResult) => void,
  ) {
    this.input = form.querySelector("input")!;
    this.list = form.querySelector("ul")!;
    this.input.addEventListener("input", () => this.update());
    this.input.addEventListener("focus", () => this.update());
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const n = this.results.length;
        if (n) this.active = (this.active + (event.key === "ArrowDown" ? 1 : n - 1)) % n;
        this.render();
      } else if (event.key === "Escape") {
        this.close();
      }
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.update();
      const result = this.results[this.active];
      if (result) this.pick(result);
      else this.showNothing();
    });
    this.list.addEventListener("mousedown", (event) => {
      const item = (event.target as HTMLElement).closest<HTMLElement>("li[data-index]");
      if (!item) return;
      event.preventDefault();
      this.pick(this.results[Number(item.dataset.index)]);
    });
    this.input.addEventListener("blur", () => window.setTimeout(() => this.close(), 150));
  }

  private update(): void {
    const query = this.input.value;
    this.results = fold(query) ? this.find(query) : [];
    this.active = 0;
    this.render();
  }

  private render(): void {
    this.list.hidden = this.results.length === 0;
    this.list.innerHTML = this.results
      .map(
        (r, i) => `<li role="option" data-index="${i}" data-kind="${r.kind}" aria-selected="${i === this.active}">
          <span class="result-label">${escapeHtml(r.label)}</span> <span class="muted">${escapeHtml(r.detail)}</span></li>`,
      )
      .join("");
  }

  private showNothing(): void {
    this.list.hidden = false;
    this.list.innerHTML = `<li class="muted" data-kind="none">Nothing found for “${escapeHtml(this.input.value)}”: try a town of ≥ 50,000 people, a country, “lat, lon” or a satellite name.</li>`;
  }

  private pick(result: SearchResult): void {
    this.input.value = result.label;
    this.close();
    this.input.blur();
    this.choose(result);
  }

  close(): void {
    this.list.hidden = true;
  }
}
