/** Live campaign results: per-variant counters, the funnel and the experiment's statistics. */
import { useQuery } from "@tanstack/react-query";

import type { EventType } from "./analytics";
import { api, unwrap } from "./client";
import { keys } from "./keys";
import { ApiError } from "./problem";

function interval(live: boolean, ms: number): number | false {
  return live ? ms : false;
}

function statsQuery(id: number) {
  return {
    queryKey: keys.stats(id),
    queryFn: () => unwrap(api.GET("/api/v1/analytics/campaigns/{campaign_id}/stats", { params: { path: { campaign_id: id } } })),
  };
}

export function useCampaignStats(id: number, live: boolean, pollMs: number) {
  return useQuery({ ...statsQuery(id), refetchInterval: interval(live, pollMs) });
}

/**
 * When the campaign's latest event happened (null: none yet; undefined: not known yet), from its
 * stats: refreshed whenever the results are (this reader does not poll on its own).
 */
export function useLastEventAt(id: number, enabled: boolean): string | null | undefined {
  return useQuery({ ...statsQuery(id), enabled, select: (stats) => stats.last_event_at ?? null }).data;
}

/** The campaign's funnel over `steps` (undefined: not asked yet, e.g. until the sender's observable signals are known). */
export function useCampaignFunnel(id: number, live: boolean, pollMs: number, steps: EventType[] | undefined) {
  return useQuery({
    queryKey: [...keys.funnel(id), steps],
    enabled: steps !== undefined,
    queryFn: () =>
      unwrap(api.GET("/api/v1/analytics/campaigns/{campaign_id}/funnel", { params: { path: { campaign_id: id }, query: { steps } } })),
    refetchInterval: interval(live, pollMs),
  });
}

/** The experiment results of a campaign (conversions per send), or null when it has no experiment. */
export function useCampaignExperiment(id: number, live: boolean, pollMs: number) {
  return useQuery({
    queryKey: keys.experiment(id),
    queryFn: async () => {
      try {
        const report = await unwrap(
          api.GET("/api/v1/experiments/campaigns/{campaign_id}", { params: { path: { campaign_id: id } } }),
        );
        return report.results;
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
    refetchInterval: interval(live, pollMs),
  });
}

export function useCampaignTimeseries(id: number, bucket: "hour" | "day", live: boolean, pollMs: number) {
  return useQuery({
    queryKey: [...keys.results(id), "timeseries", bucket],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/analytics/campaigns/{campaign_id}/timeseries", {
          params: { path: { campaign_id: id }, query: { bucket } },
        }),
      ),
    refetchInterval: interval(live, pollMs),
  });
}
