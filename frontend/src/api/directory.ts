/** Contacts, segments and senders: the reference data campaigns are built from. */
import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "./client";
import { keys } from "./keys";

export function useContacts(limit: number, offset: number) {
  return useQuery({
    queryKey: keys.contacts(limit, offset),
    queryFn: () => unwrap(api.GET("/api/v1/orchestrator/contacts", { params: { query: { limit, offset } } })),
    placeholderData: (previous) => previous,
  });
}

export function useSegments() {
  return useQuery({
    queryKey: keys.segments,
    queryFn: () => unwrap(api.GET("/api/v1/orchestrator/segments")),
  });
}

export function useSenders() {
  return useQuery({
    queryKey: keys.senders,
    queryFn: () => unwrap(api.GET("/api/v1/telegram/senders")),
  });
}
