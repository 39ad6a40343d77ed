// Keyboard shortcuts of the video and volume editors: keys typed into a form field belong to the field
// (a checkbox or a button takes no typing, so shortcuts still work after clicking one).
const NOT_TYPED = new Set(['checkbox', 'button', 'submit', 'reset']);

export function isTyping(event: KeyboardEvent): boolean {
  const target = event.target as HTMLElement | null;
  if (!target) return false;
  if (target.isContentEditable || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT') return true;
  return target.tagName === 'INPUT' && !NOT_TYPED.has((target as HTMLInputElement).type);
}

/** A shortcut key without Ctrl/Cmd/Alt, outside form fields. */
export function isShortcut(event: KeyboardEvent): boolean {
  return !isTyping(event) && !event.ctrlKey && !event.metaKey && !event.altKey;
}
