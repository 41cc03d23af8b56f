/** The signed-in user's token, kept in localStorage, with a tiny store React components subscribe to. */
import { useSyncExternalStore } from "react";

import type { User } from "../api/types";

const TOKEN_KEY = "ma.token";
const USER_KEY = "ma.user";

export interface SessionState {
  token: string | null;
  user: User | null;
  /** Set when the server answered 401 to a signed-in request, so the login page can say why. */
  expired: boolean;
}

function readUser(): User | null {
  try {
    const raw = localStorage.getItem(USER_KEY);
    return raw ? (JSON.parse(raw) as User) : null;
  } catch {
    return null;
  }
}

let state: SessionState = { token: localStorage.getItem(TOKEN_KEY), user: readUser(), expired: false };
const listeners = new Set<() => void>();

function update(next: SessionState): void {
  state = next;
  if (next.token) localStorage.setItem(TOKEN_KEY, next.token);
  else localStorage.removeItem(TOKEN_KEY);
  if (next.user) localStorage.setItem(USER_KEY, JSON.stringify(next.user));
  else localStorage.removeItem(USER_KEY);
  listeners.forEach((listener) => listener());
}

export const session = {
  get: (): SessionState => state,
  token: (): string | null => state.token,
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  signIn(token: string, user: User): void {
    update({ token, user, expired: false });
  },
  setUser(user: User): void {
    if (state.token) update({ ...state, user });
  },
  signOut(): void {
    update({ token: null, user: null, expired: false });
  },
  expire(): void {
    if (state.token) update({ token: null, user: null, expired: true });
  },
};

// Another tab signing out (or in) applies here too.
window.addEventListener("storage", (event) => {
  if (event.key !== TOKEN_KEY) return;
  state = { token: localStorage.getItem(TOKEN_KEY), user: readUser(), expired: false };
  listeners.forEach((listener) => listener());
});

export function useSession(): SessionState {
  return useSyncExternalStore(session.subscribe, session.get);
}
