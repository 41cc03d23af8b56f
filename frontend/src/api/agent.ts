/** The strategist's chat, its budget and the reply inbox. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "./client";
import { ApiError } from "./problem";
import type { components, paths } from "./schema";

type JsonOf<R> = R extends { content: { "application/json": infer T } } ? T : never;
type Ok<Op> = Op extends { responses: { 200: infer R } } ? JsonOf<R> : never;

export type ChatAnswer = Ok<paths["/api/v1/agent/chat"]["post"]>;
export type ChatSource = ChatAnswer["sources"][number];
export type ChatStep = ChatAnswer["steps"][number];
export type ChatTurn = { role: "user" | "assistant"; content: string };
export type ChatStreamEvent = components["schemas"]["ChatStreamEvent"];
export type BudgetStatus = Ok<paths["/api/v1/agent/budget"]["get"]>;
export type ProviderInfo = Ok<paths["/api/v1/agent/provider"]["get"]>;
export type InboxPage = Ok<paths["/api/v1/agent/inbox"]["get"]>;
export type InboxReply = InboxPage["items"][number];
export type InboxStatus = InboxReply["status"];

export type CampaignBudget = Ok<paths["/api/v1/agent/campaigns/{campaign_id}/budget"]["get"]>;

const agentKeys = {
  campaignBudget: (id: number) => ["agent", "campaign-budget", id] as const,
  budget: ["agent", "budget"] as const,
  provider: ["agent", "provider"] as const,
  inbox: ["agent", "inbox"] as const,
  inboxList: (status: InboxStatus | undefined, limit: number, offset: number) =>
    ["agent", "inbox", { status, limit, offset }] as const,
};

export function useBudget() {
  return useQuery({
    queryKey: agentKeys.budget,
    queryFn: () => unwrap(api.GET("/api/v1/agent/budget")),
    refetchInterval: 30_000,
  });
}

export function useProvider() {
  return useQuery({ queryKey: agentKeys.provider, queryFn: () => unwrap(api.GET("/api/v1/agent/provider")) });
}

export function useAsk() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (messages: ChatTurn[]) => unwrap(api.POST("/api/v1/agent/chat", { body: { messages } })),
    onSettled: () => void client.invalidateQueries({ queryKey: agentKeys.budget }),
  });
}

/** Read a Server-Sent Events body: each event's `data:` lines joined, parsed as JSON. */
async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ChatStreamEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trimStart())
        .join("\n");
      if (data) yield JSON.parse(data) as ChatStreamEvent;
    }
  }
}

/** Ask with the answer streamed: `onEvent` sees each sentence and step as it comes; resolves
 * with the checked answer, or throws the problem that stopped it (402 when the budget is used up). */
export function useAskStreaming(onEvent: (event: ChatStreamEvent) => void) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ messages, campaignId }: { messages: ChatTurn[]; campaignId?: number }): Promise<ChatAnswer> => {
      let result;
      try {
        result = await api.POST("/api/v1/agent/chat/stream", {
          body: { messages, campaign_id: campaignId ?? null },
          parseAs: "stream",
        });
      } catch (cause) {
        throw ApiError.unreachable(cause);
      }
      if (!result.response.ok || !result.data) throw ApiError.fromResponse(result.response, result.error);
      for await (const event of readEvents(result.data as ReadableStream<Uint8Array>)) {
        if (event.type === "answer" && event.answer) return event.answer as ChatAnswer;
        if (event.type === "error")
          throw ApiError.fromResponse(new Response(null, { status: Number(event.problem?.status ?? 500) }), event.problem);
        onEvent(event);
      }
      throw ApiError.unreachable(new Error("the answer stream ended early"));
    },
    onSettled: () => {
      void client.invalidateQueries({ queryKey: agentKeys.budget });
      void client.invalidateQueries({ queryKey: ["agent", "campaign-budget"] });
    },
  });
}

export function useCampaignBudget(id: number | undefined) {
  return useQuery({
    queryKey: agentKeys.campaignBudget(id ?? 0),
    queryFn: () =>
      unwrap(api.GET("/api/v1/agent/campaigns/{campaign_id}/budget", { params: { path: { campaign_id: id ?? 0 } } })),
    enabled: id !== undefined,
  });
}

export function useResultsSummary(id: number | undefined) {
  return useQuery({
    queryKey: ["agent", "summary", id ?? 0],
    queryFn: () =>
      unwrap(api.GET("/api/v1/agent/campaigns/{campaign_id}/summary", { params: { path: { campaign_id: id ?? 0 } } })),
    enabled: id !== undefined,
  });
}

export function useSetCampaignBudget(id: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (limitUsd: number | null) =>
      unwrap(
        api.PUT("/api/v1/agent/campaigns/{campaign_id}/budget", {
          params: { path: { campaign_id: id } },
          body: { limit_usd: limitUsd },
        }),
      ),
    onSuccess: (budget) => client.setQueryData(agentKeys.campaignBudget(id), budget),
  });
}

export function useInbox(status: InboxStatus | undefined, limit: number, offset: number) {
  return useQuery({
    queryKey: agentKeys.inboxList(status, limit, offset),
    queryFn: () => unwrap(api.GET("/api/v1/agent/inbox", { params: { query: { status, limit, offset } } })),
    placeholderData: (previous) => previous,
    refetchInterval: 10_000,
  });
}

export function useAnswerReply() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, text }: { id: number; text: string }) =>
      unwrap(api.POST("/api/v1/agent/inbox/{reply_id}/answer", { params: { path: { reply_id: id } }, body: { text } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: agentKeys.inbox }),
  });
}

export function useDismissReply() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) =>
      unwrap(api.POST("/api/v1/agent/inbox/{reply_id}/dismiss", { params: { path: { reply_id: id } } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: agentKeys.inbox }),
  });
}

export type UsageReport = Ok<paths["/api/v1/agent/usage/report"]["get"]>;
export type UsageCallPage = Ok<paths["/api/v1/agent/usage/calls"]["get"]>;
export type UsageCall = UsageCallPage["items"][number];

/** LLM spend per calendar month and per campaign over the last year. */
export function useUsageReport() {
  return useQuery({
    queryKey: ["agent", "usage", "report"],
    queryFn: () => unwrap(api.GET("/api/v1/agent/usage/report")),
    refetchInterval: 30_000,
  });
}

/** Every piece of LLM work, newest first, a page at a time. */
export function useUsageCalls(limit: number, offset: number) {
  return useQuery({
    queryKey: ["agent", "usage", "calls", { limit, offset }],
    queryFn: () => unwrap(api.GET("/api/v1/agent/usage/calls", { params: { query: { limit, offset } } })),
    refetchInterval: 30_000,
  });
}
