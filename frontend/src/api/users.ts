/** Queries and mutations of the Users page and the Settings page: users, roles, passwords, effective settings. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { session } from "../auth/session";
import { api, unwrap } from "./client";
import { keys } from "./keys";
import type { PasswordChange, UserCreate, UserUpdate } from "./types";

export const userKeys = {
  users: ["users"] as const,
  roles: ["users", "roles"] as const,
  settings: ["settings", "effective"] as const,
};

export function useUsers(enabled: boolean) {
  return useQuery({ queryKey: userKeys.users, queryFn: () => unwrap(api.GET("/api/v1/auth/users")), enabled });
}

export function useRoles() {
  return useQuery({ queryKey: userKeys.roles, queryFn: () => unwrap(api.GET("/api/v1/auth/roles")), staleTime: 60 * 60_000 });
}

export function useInviteUser() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: UserCreate) => unwrap(api.POST("/api/v1/auth/users", { body })),
    onSuccess: () => void client.invalidateQueries({ queryKey: userKeys.users }),
  });
}

export function useUpdateUser() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: number; body: UserUpdate }) =>
      unwrap(api.PATCH("/api/v1/auth/users/{user_id}", { params: { path: { user_id: id } }, body })),
    onSuccess: () => void client.invalidateQueries({ queryKey: userKeys.users }),
  });
}

export function useResetPassword() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) =>
      unwrap(api.POST("/api/v1/auth/users/{user_id}/password-reset", { params: { path: { user_id: id } } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: userKeys.users }),
  });
}

export function useDeleteUser() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (id: number) => {
      const { error, response } = await api.DELETE("/api/v1/auth/users/{user_id}", { params: { path: { user_id: id } } });
      if (!response.ok) await unwrap(Promise.resolve({ error: error ?? {}, response }));
    },
    onSuccess: () => void client.invalidateQueries({ queryKey: userKeys.users }),
  });
}

/** Change the signed-in user's own password; the answer's fresh token replaces the old one. */
export function useChangeOwnPassword() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: PasswordChange) => unwrap(api.POST("/api/v1/auth/password", { body })),
    onSuccess: (token) => {
      session.signIn(token.access_token, token.user);
      void client.invalidateQueries({ queryKey: keys.me });
    },
  });
}

export function useEffectiveSettings(enabled: boolean) {
  return useQuery({ queryKey: userKeys.settings, queryFn: () => unwrap(api.GET("/api/v1/auth/settings")), enabled });
}
