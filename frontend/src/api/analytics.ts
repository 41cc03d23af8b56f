/** Analytics: funnels with intervals, breakdowns, ROI and costs, and live counts over server-sent events. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";

import { session } from "../auth/session";
import { api, unwrap } from "./client";
import type { components } from "./schema";

export type EventType = components["schemas"]["EventType"];
export type FunnelBreakdown = components["schemas"]["FunnelBreakdown"];
export type Funnel = components["schemas"]["Funnel"];
export type FunnelSenderBreakdown = components["schemas"]["FunnelSenderBreakdown"];
export type ContactTimeline = components["schemas"]["ContactTimeline"];
export type TimelineEntry = components["schemas"]["TimelineEntry"];
export type Breakdown = components["schemas"]["Breakdown"];
export type BreakdownRow = components["schemas"]["BreakdownRow"];
export type Dimension = Breakdown["by"];
export type CampaignRoi = components["schemas"]["CampaignRoi"];
export type CostCreate = components["schemas"]["CostCreate"];
export type CampaignStats = components["schemas"]["CampaignStats"];
export type Rate = components["schemas"]["Rate"];

export const EVENT_TYPES: EventType[] = ["sent", "delivered", "read", "clicked", "replied", "converted", "unsubscribed", "failed"];

const analyticsKeys = {
  funnel: (id: number, steps: EventType[], windowDays: number | null, segmentId?: number) =>
    ["analytics", id, "funnel", { steps, windowDays, segmentId }] as const,
  breakdown: (id: number, by: Dimension, key: string | undefined) => ["analytics", id, "breakdown", { by, key }] as const,
  roi: (id: number) => ["analytics", id, "roi"] as const,
  bySender: (id: number, steps: EventType[], windowDays: number | null, segmentId?: number) =>
    ["analytics", id, "funnel-senders", { steps, windowDays, segmentId }] as const,
  timeline: (contactId: number) => ["analytics", "contact", contactId, "timeline"] as const,
};

/** The same funnel for the people each sender reached (a person counts under their first sender). */
export function useFunnelBySender(id: number | undefined, steps: EventType[], windowDays: number | null, segmentId?: number) {
  return useQuery({
    queryKey: analyticsKeys.bySender(id ?? 0, steps, windowDays, segmentId),
    enabled: id !== undefined && steps.length > 0,
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/analytics/campaigns/{campaign_id}/funnel/senders", {
          params: { path: { campaign_id: id ?? 0 }, query: { steps, window_days: windowDays ?? undefined, segment_id: segmentId } },
        }),
      ),
  });
}

/** What happened to one person, newest first (no reads where the sender cannot see them). */
export function useContactTimeline(contactId: number) {
  return useQuery({
    queryKey: analyticsKeys.timeline(contactId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/analytics/contacts/{contact_id}/timeline", { params: { path: { contact_id: contactId } } })),
  });
}

export function useFunnelByVariant(id: number | undefined, steps: EventType[], windowDays: number | null, segmentId?: number) {
  return useQuery({
    queryKey: analyticsKeys.funnel(id ?? 0, steps, windowDays, segmentId),
    enabled: id !== undefined && steps.length > 0,
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/analytics/campaigns/{campaign_id}/funnel/variants", {
          params: { path: { campaign_id: id ?? 0 }, query: { steps, window_days: windowDays ?? undefined, segment_id: segmentId } },
        }),
      ),
  });
}

export function useBreakdown(id: number, by: Dimension, key: string | undefined) {
  return useQuery({
    queryKey: analyticsKeys.breakdown(id, by, key),
    enabled: by !== "attribute" || Boolean(key),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/analytics/campaigns/{campaign_id}/breakdown", {
          params: { path: { campaign_id: id }, query: { by, key: key || undefined } },
        }),
      ),
  });
}

export function useRoi(id: number) {
  return useQuery({
    queryKey: analyticsKeys.roi(id),
    queryFn: () => unwrap(api.GET("/api/v1/analytics/campaigns/{campaign_id}/roi", { params: { path: { campaign_id: id } } })),
  });
}

export function useAddCost(id: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: CostCreate) =>
      unwrap(api.POST("/api/v1/analytics/campaigns/{campaign_id}/costs", { params: { path: { campaign_id: id } }, body })),
    onSuccess: () => void client.invalidateQueries({ queryKey: analyticsKeys.roi(id) }),
  });
}

export function useDeleteCost(id: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (costId: number) => {
      const { response } = await api.DELETE("/api/v1/analytics/campaigns/{campaign_id}/costs/{cost_id}", {
        params: { path: { campaign_id: id, cost_id: costId } },
      });
      if (!response.ok) throw new Error(`The cost could not be deleted (${response.status}).`);
    },
    onSuccess: () => void client.invalidateQueries({ queryKey: analyticsKeys.roi(id) }),
  });
}

/** Downloads who stopped where as CSV (the request carries the bearer token, so no plain link). */
export async function downloadDropoff(id: number, steps: EventType[], windowDays: number | null, segmentId?: number): Promise<void> {
  const query = new URLSearchParams();
  for (const step of steps) query.append("steps", step);
  if (windowDays) query.set("window_days", String(windowDays));
  if (segmentId !== undefined) query.set("segment_id", String(segmentId));
  const response = await fetch(`/api/v1/analytics/campaigns/${id}/funnel/dropoff.csv?${query}`, {
    headers: { Authorization: `Bearer ${session.token() ?? ""}` },
  });
  if (!response.ok) throw new Error(`The export failed (${response.status}).`);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = `funnel-${id}-dropoff.csv`;
  link.click();
  URL.revokeObjectURL(url);
}

export type LiveState = "connecting" | "live" | "ended" | "reconnecting";

/**
 * The campaign's counts as the server pushes them (text/event-stream read with fetch, which, unlike
 * EventSource, can send the bearer token). A dropped connection is reopened with the last event id;
 * an `end` event (sending is over) closes it for good.
 */
export function useLiveCounts(id: number): { stats: CampaignStats | undefined; state: LiveState } {
  const [stats, setStats] = useState<CampaignStats | undefined>(undefined);
  const [state, setState] = useState<LiveState>("connecting");

  useEffect(() => {
    const abort = new AbortController();
    let lastId: string | undefined;
    let ended = false;

    async function connect(): Promise<void> {
      const headers: Record<string, string> = { Authorization: `Bearer ${session.token() ?? ""}`, Accept: "text/event-stream" };
      if (lastId) headers["Last-Event-ID"] = lastId;
      const response = await fetch(`/api/v1/analytics/campaigns/${id}/live`, { headers, signal: abort.signal });
      if (!response.ok || !response.body) throw new Error(`live counts: ${response.status}`);
      setState("live");
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let split = buffer.indexOf("\n\n");
        while (split >= 0) {
          const block = buffer.slice(0, split);
          buffer = buffer.slice(split + 2);
          split = buffer.indexOf("\n\n");
          let name = "message";
          const data: string[] = [];
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) name = line.slice(7);
            else if (line.startsWith("id: ")) lastId = line.slice(4);
            else if (line.startsWith("data: ")) data.push(line.slice(6));
          }
          if (name === "counts") setStats(JSON.parse(data.join("\n")) as CampaignStats);
          if (name === "end") {
            ended = true;
            setState("ended");
          }
        }
      }
    }

    async function run(): Promise<void> {
      while (!abort.signal.aborted && !ended) {
        try {
          await connect();
        } catch {
          if (abort.signal.aborted) return;
        }
        if (ended || abort.signal.aborted) return;
        setState("reconnecting");
        await new Promise((resolve) => setTimeout(resolve, 2_000));
      }
    }

    void run();
    return () => abort.abort();
  }, [id]);

  return { stats, state };
}
