/** Contacts, segments and senders: the reference data campaigns are built from. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "./client";
import { keys } from "./keys";
import type { SenderCreate, SenderTestRequest } from "./types";

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

export function useCreateSender() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: SenderCreate) => unwrap(api.POST("/api/v1/telegram/senders", { body })),
    onSuccess: () => void client.invalidateQueries({ queryKey: keys.senders }),
  });
}

/** One test message through a sender; Telegram's refusal comes back as a result, not an error. */
export function useSendTest() {
  return useMutation({
    mutationFn: ({ senderId, body }: { senderId: number; body: SenderTestRequest }) =>
      unwrap(api.POST("/api/v1/telegram/senders/{sender_id}/test", { params: { path: { sender_id: senderId } }, body })),
  });
}
