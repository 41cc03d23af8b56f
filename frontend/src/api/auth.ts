import { useMutation, useQuery } from "@tanstack/react-query";

import { session, useSession } from "../auth/session";
import { api, unwrap } from "./client";
import { keys } from "./keys";
import type { LoginRequest } from "./types";

export function useLogin() {
  return useMutation({
    mutationFn: (body: LoginRequest) => unwrap(api.POST("/api/v1/auth/login", { body })),
    onSuccess: (token) => session.signIn(token.access_token, token.user),
  });
}

/** Confirm the stored token with the server once per visit and refresh the user's name and role. */
export function useMe() {
  const { token } = useSession();
  return useQuery({
    queryKey: keys.me,
    enabled: token !== null,
    staleTime: 5 * 60_000,
    queryFn: async () => {
      const user = await unwrap(api.GET("/api/v1/auth/me"));
      session.setUser(user);
      return user;
    },
  });
}
