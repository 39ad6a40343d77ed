// Whether the page is interactive yet. Action buttons stay disabled until it is, so a click that lands
// on server-rendered HTML before hydration is never silently lost (people and browser tests alike).

class Hydration {
  #ready = $state(false);

  get ready(): boolean {
    return this.#ready;
  }

  /** Called once by the root layout's onMount (never on the server). */
  markReady(): void {
    this.#ready = true;
  }
}

export const hydration = new Hydration();
