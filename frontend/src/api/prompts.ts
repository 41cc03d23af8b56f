/** The strategist's prompts: shipped text and version, a person's saved edits, reset. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "./client";
import type { paths } from "./schema";

type JsonOf<R> = R extends { content: { "application/json": infer T } } ? T : never;
type Ok<Op> = Op extends { responses: { 200: infer R } } ? JsonOf<R> : never;

export type AgentPrompt = Ok<paths["/api/v1/agent/prompts/{name}"]["get"]>;
export type PromptPreview = Ok<paths["/api/v1/agent/prompts/{name}/preview"]["post"]>;

const promptsKey = ["agent", "prompts"] as const;

export function usePrompts() {
  return useQuery({ queryKey: promptsKey, queryFn: () => unwrap(api.GET("/api/v1/agent/prompts")) });
}

export function useSavePrompt(name: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { text: string; note: string }) =>
      unwrap(api.PUT("/api/v1/agent/prompts/{name}", { params: { path: { name } }, body })),
    onSuccess: () => client.invalidateQueries({ queryKey: promptsKey }),
  });
}

export function useResetPrompt(name: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/v1/agent/prompts/{name}", { params: { path: { name } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: promptsKey }),
  });
}

/** The prompt (the text being edited, else the saved one) filled in for the sample brief; saves nothing. */
export function usePreviewPrompt(name: string) {
  return useMutation({
    mutationFn: (text: string | null) =>
      unwrap(api.POST("/api/v1/agent/prompts/{name}/preview", { params: { path: { name } }, body: { text } })),
  });
}
