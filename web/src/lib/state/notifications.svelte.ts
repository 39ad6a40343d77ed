// The toasts the console shows (errors, confirmations). Browser-only: the server never pushes here.
import { browser } from '$app/environment';

export type NotificationKind = 'error' | 'success' | 'info';

export interface Notification {
  id: number;
  kind: NotificationKind;
  text: string;
}

const LIFETIME_MS: Record<NotificationKind, number> = { error: 10_000, success: 4_000, info: 5_000 };

class NotificationManager {
  #items = $state<Notification[]>([]);
  #next = 1;

  get items(): readonly Notification[] {
    return this.#items;
  }

  push(kind: NotificationKind, text: string): number {
    if (!browser) return 0;
    const id = this.#next++;
    this.#items = [...this.#items.slice(-4), { id, kind, text }];
    setTimeout(() => this.dismiss(id), LIFETIME_MS[kind]);
    return id;
  }

  dismiss(id: number): void {
    this.#items = this.#items.filter((n) => n.id !== id);
  }

  /** Takes back the toasts starting with `prefix`: an error the user has since fixed should not stay on screen. */
  dismissStartingWith(prefix: string): void {
    this.#items = this.#items.filter((n) => !n.text.startsWith(prefix));
  }
}

export const notifications = new NotificationManager();
