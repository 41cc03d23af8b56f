/**
 * The message as one contact would see it, for the editor's preview only: the server renders (and the
 * safety guard checks) the real text at send time with the same placeholders and fallbacks.
 */
export const PLACEHOLDERS = ["first_name", "username"] as const;

export interface PreviewContact {
  first_name?: string | null;
  username?: string | null;
}

export function renderPreview(template: string, contact: PreviewContact | null): string {
  const values: Record<string, string> = {
    first_name: contact ? contact.first_name || "there" : "Alex",
    username: contact?.username ?? "",
  };
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

/** Telegram counts a message's length in UTF-16 code units, as a JavaScript string does. */
export function telegramLength(text: string): number {
  return text.length;
}

export const TELEGRAM_TEXT_LIMIT = 4096;
