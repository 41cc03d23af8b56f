import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { isLive } from "../components/campaignStatus";
import { api, unwrap } from "./client";
import { keys } from "./keys";
import type { Campaign, CampaignCreate, CampaignStatus, CampaignUpdate, RedriveRequest } from "./types";

export const LIVE_POLL_MS = 2_000;

export interface CampaignQuery {
  status?: CampaignStatus;
  q?: string;
  sort?: string;
  archived?: boolean;
  limit: number;
  offset: number;
}

export function useCampaigns(query: CampaignQuery) {
  return useQuery({
    queryKey: [...keys.campaigns, "list", query],
    queryFn: () => unwrap(api.GET("/api/v1/orchestrator/campaigns", { params: { query } })),
    placeholderData: (previous) => previous,
    // Keep statuses fresh while something on the page is moving.
    refetchInterval: (query) => (query.state.data?.items.some((c) => isLive(c.status)) ? 5_000 : false),
  });
}

export function useCampaign(id: number) {
  return useQuery({
    queryKey: keys.campaign(id),
    queryFn: () => unwrap(api.GET("/api/v1/orchestrator/campaigns/{campaign_id}", { params: { path: { campaign_id: id } } })),
    refetchInterval: (query) => (query.state.data && isLive(query.state.data.status) ? LIVE_POLL_MS : false),
  });
}

export function useCreateCampaign() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: CampaignCreate) => unwrap(api.POST("/api/v1/orchestrator/campaigns", { body })),
    onSuccess: (campaign) => {
      client.setQueryData(keys.campaign(campaign.id), campaign);
      void client.invalidateQueries({ queryKey: keys.campaigns });
      void client.invalidateQueries({ queryKey: keys.reviews });
    },
  });
}

function useCampaignChanged() {
  const client = useQueryClient();
  return (campaign: Campaign) => {
    client.setQueryData(keys.campaign(campaign.id), campaign);
    void client.invalidateQueries({ queryKey: keys.campaigns });
    void client.invalidateQueries({ queryKey: keys.reviews });
    void client.invalidateQueries({ queryKey: ["overview"] });
  };
}

export function useUpdateCampaign(id: number) {
  const changed = useCampaignChanged();
  return useMutation({
    mutationFn: (body: CampaignUpdate) =>
      unwrap(api.PATCH("/api/v1/orchestrator/campaigns/{campaign_id}", { params: { path: { campaign_id: id } }, body })),
    onSuccess: changed,
  });
}

export function useCloneCampaign() {
  const changed = useCampaignChanged();
  return useMutation({
    mutationFn: (id: number) =>
      unwrap(api.POST("/api/v1/orchestrator/campaigns/{campaign_id}/clone", { params: { path: { campaign_id: id } } })),
    onSuccess: changed,
  });
}

/** A clone whose variants the strategist writes again from the campaign's stored brief. */
export function useReplanCampaign() {
  const changed = useCampaignChanged();
  return useMutation({
    mutationFn: (id: number) =>
      unwrap(
        api.POST("/api/v1/orchestrator/campaigns/{campaign_id}/clone", {
          params: { path: { campaign_id: id }, query: { replan: true } },
        }),
      ),
    onSuccess: changed,
  });
}

export function useArchiveCampaign() {
  const changed = useCampaignChanged();
  return useMutation({
    mutationFn: ({ id, archived }: { id: number; archived: boolean }) =>
      archived
        ? unwrap(api.POST("/api/v1/orchestrator/campaigns/{campaign_id}/archive", { params: { path: { campaign_id: id } } }))
        : unwrap(api.POST("/api/v1/orchestrator/campaigns/{campaign_id}/unarchive", { params: { path: { campaign_id: id } } })),
    onSuccess: changed,
  });
}

export function useLaunchPreview(id: number, enabled: boolean) {
  return useQuery({
    queryKey: [...keys.campaign(id), "launch-preview"],
    queryFn: () =>
      unwrap(api.GET("/api/v1/orchestrator/campaigns/{campaign_id}/launch-preview", { params: { path: { campaign_id: id } } })),
    enabled,
    staleTime: 0,
  });
}

/** Per-campaign totals for the list's columns (distinct people), fetched per row. */
export function useCampaignTotals(id: number, enabled: boolean) {
  return useQuery({
    queryKey: keys.stats(id),
    queryFn: () => unwrap(api.GET("/api/v1/analytics/campaigns/{campaign_id}/stats", { params: { path: { campaign_id: id } } })),
    enabled,
    staleTime: 10_000,
  });
}

export type CampaignAction = "submit" | "pause" | "resume" | "cancel";

function postAction(action: CampaignAction, id: number): Promise<Campaign> {
  const params = { params: { path: { campaign_id: id } } };
  switch (action) {
    case "submit":
      return unwrap(api.POST("/api/v1/orchestrator/campaigns/{campaign_id}/submit", params));
    case "pause":
      return unwrap(api.POST("/api/v1/orchestrator/campaigns/{campaign_id}/pause", params));
    case "resume":
      return unwrap(api.POST("/api/v1/orchestrator/campaigns/{campaign_id}/resume", params));
    case "cancel":
      return unwrap(api.POST("/api/v1/orchestrator/campaigns/{campaign_id}/cancel", params));
  }
}

export function useCampaignAction(id: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (action: CampaignAction) => postAction(action, id),
    onSuccess: (campaign) => {
      client.setQueryData(keys.campaign(id), campaign);
      void client.invalidateQueries({ queryKey: keys.campaigns });
      void client.invalidateQueries({ queryKey: keys.reviews });
      void client.invalidateQueries({ queryKey: keys.results(id) });
    },
    // A refused transition (409) usually means the campaign moved on elsewhere: show where it is now.
    onError: () => void client.invalidateQueries({ queryKey: keys.campaign(id) }),
  });
}

/** Queue a campaign's dead-lettered and/or in-doubt deliveries again. */
export function useRedrive(id: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: RedriveRequest) =>
      unwrap(api.POST("/api/v1/orchestrator/campaigns/{campaign_id}/redrive", { params: { path: { campaign_id: id } }, body })),
    onSettled: () => {
      void client.invalidateQueries({ queryKey: keys.campaign(id) });
      void client.invalidateQueries({ queryKey: keys.campaigns });
      void client.invalidateQueries({ queryKey: keys.results(id) });
    },
  });
}
