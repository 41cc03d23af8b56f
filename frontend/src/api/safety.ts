/** The safety guard's API: phrase lists, workspace safety settings, sender health, content checks, review steps. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "./client";
import { keys } from "./keys";
import type { paths } from "./schema";

type JsonOf<R> = R extends { content: { "application/json": infer T } } ? T : never;
type Ok<Op> = Op extends { responses: { 200: infer R } } ? JsonOf<R> : Op extends { responses: { 201: infer R } } ? JsonOf<R> : never;
type BodyOf<Op> = Op extends { requestBody?: { content: { "application/json": infer T } } } ? T : never;

export type PhraseList = Ok<paths["/api/v1/safety/phrase-lists"]["get"]>[number];
export type PhraseListCreate = BodyOf<paths["/api/v1/safety/phrase-lists"]["post"]>;
export type PhraseListUpdate = BodyOf<paths["/api/v1/safety/phrase-lists/{list_id}"]["patch"]>;
export type Phrase = Ok<paths["/api/v1/safety/phrase-lists/{list_id}/phrases"]["get"]>[number];
export type PhraseCreate = BodyOf<paths["/api/v1/safety/phrase-lists/{list_id}/phrases"]["post"]>;
export type SafetySettings = Ok<paths["/api/v1/safety/settings"]["get"]>;
export type SafetySettingsUpdate = BodyOf<paths["/api/v1/safety/settings"]["patch"]>;
export type SenderHealth = Ok<paths["/api/v1/safety/sender-health"]["get"]>[number];
export type ContentVerdict = Ok<paths["/api/v1/safety/check"]["post"]>;
export type BuiltInPhraseList = Ok<paths["/api/v1/safety/built-in-phrases"]["get"]>[number];

const safetyKeys = {
  lists: ["safety", "phrase-lists"] as const,
  builtIn: ["safety", "built-in-phrases"] as const,
  phrases: (listId: number) => ["safety", "phrase-lists", listId, "phrases"] as const,
  settings: ["safety", "settings"] as const,
  health: ["safety", "sender-health"] as const,
  check: (text: string) => ["safety", "check", text] as const,
};

export function usePhraseLists() {
  return useQuery({ queryKey: safetyKeys.lists, queryFn: () => unwrap(api.GET("/api/v1/safety/phrase-lists")) });
}

/** The phrases every check looks for besides the workspace's lists (they ship with the guard). */
export function useBuiltInPhrases() {
  return useQuery({ queryKey: safetyKeys.builtIn, queryFn: () => unwrap(api.GET("/api/v1/safety/built-in-phrases")), staleTime: Infinity });
}

/** Checks a text someone typed, on demand (the Safety page's "Try a text"). */
export function useCheckText() {
  return useMutation({
    mutationFn: (text: string) => unwrap(api.POST("/api/v1/safety/check", { body: { text, caption: false } })),
  });
}

export function usePhrases(listId: number) {
  return useQuery({
    queryKey: safetyKeys.phrases(listId),
    queryFn: () => unwrap(api.GET("/api/v1/safety/phrase-lists/{list_id}/phrases", { params: { path: { list_id: listId } } })),
  });
}

export function useCreatePhraseList() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: PhraseListCreate) => unwrap(api.POST("/api/v1/safety/phrase-lists", { body })),
    onSuccess: () => void client.invalidateQueries({ queryKey: safetyKeys.lists }),
  });
}

export function useUpdatePhraseList() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: number; body: PhraseListUpdate }) =>
      unwrap(api.PATCH("/api/v1/safety/phrase-lists/{list_id}", { params: { path: { list_id: id } }, body })),
    onSuccess: () => void client.invalidateQueries({ queryKey: safetyKeys.lists }),
  });
}

export function useDeletePhraseList() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => unwrap(api.DELETE("/api/v1/safety/phrase-lists/{list_id}", { params: { path: { list_id: id } } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: safetyKeys.lists }),
  });
}

export function useAddPhrase(listId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: PhraseCreate) =>
      unwrap(api.POST("/api/v1/safety/phrase-lists/{list_id}/phrases", { params: { path: { list_id: listId } }, body })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: safetyKeys.phrases(listId) });
      void client.invalidateQueries({ queryKey: safetyKeys.lists });
    },
  });
}

export function useRemovePhrase(listId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (phraseId: number) =>
      unwrap(
        api.DELETE("/api/v1/safety/phrase-lists/{list_id}/phrases/{phrase_id}", {
          params: { path: { list_id: listId, phrase_id: phraseId } },
        }),
      ),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: safetyKeys.phrases(listId) });
      void client.invalidateQueries({ queryKey: safetyKeys.lists });
    },
  });
}

export function useSafetySettings() {
  return useQuery({ queryKey: safetyKeys.settings, queryFn: () => unwrap(api.GET("/api/v1/safety/settings")) });
}

export function useUpdateSafetySettings() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: SafetySettingsUpdate) => unwrap(api.PATCH("/api/v1/safety/settings", { body })),
    onSuccess: (settings) => client.setQueryData(safetyKeys.settings, settings),
  });
}

export function useSenderHealth() {
  return useQuery({
    queryKey: safetyKeys.health,
    queryFn: () => unwrap(api.GET("/api/v1/safety/sender-health")),
    refetchInterval: 15_000,
  });
}

export function useResumeSender() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (senderId: number) =>
      unwrap(api.POST("/api/v1/safety/sender-health/{sender_id}/resume", { params: { path: { sender_id: senderId } } })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: safetyKeys.health });
      void client.invalidateQueries({ queryKey: keys.senders });
    },
  });
}

/** The safety guard's verdict on one text, with every reason's span in it (for highlighting). */
export function useContentCheck(text: string | undefined) {
  return useQuery({
    queryKey: safetyKeys.check(text ?? ""),
    queryFn: () => unwrap(api.POST("/api/v1/safety/check", { body: { text: text ?? "", caption: false } })),
    enabled: Boolean(text),
    staleTime: 60_000,
  });
}

export function useAssignReview() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, assignee, dueAt }: { id: number; assignee: string; dueAt?: string }) =>
      unwrap(
        api.POST("/api/v1/orchestrator/reviews/{review_id}/assign", {
          params: { path: { review_id: id } },
          body: { assignee, due_at: dueAt ?? null },
        }),
      ),
    onSuccess: () => void client.invalidateQueries({ queryKey: keys.reviews }),
  });
}

export function useRequestChanges() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, note }: { id: number; note: string }) =>
      unwrap(api.POST("/api/v1/orchestrator/reviews/{review_id}/request-changes", { params: { path: { review_id: id } }, body: { note } })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.reviews });
      void client.invalidateQueries({ queryKey: keys.campaigns });
    },
  });
}
