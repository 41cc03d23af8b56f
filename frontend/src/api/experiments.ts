/** The experiments API: a campaign's results, rollout and decisions, the calculator and the planner. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "./client";
import type { paths } from "./schema";

type JsonOf<R> = R extends { content: { "application/json": infer T } } ? T : never;
type Ok<Op> = Op extends { responses: { 200: infer R } } ? JsonOf<R> : never;
type BodyOf<Op> = Op extends { requestBody: { content: { "application/json": infer T } } } ? T : never;

type CampaignPath = paths["/api/v1/experiments/campaigns/{campaign_id}"];
type RolloutPath = paths["/api/v1/experiments/campaigns/{campaign_id}/rollout"];

export type ExperimentReport = Ok<CampaignPath["get"]>;
export type Results = ExperimentReport["results"];
export type Analysis = Ok<paths["/api/v1/experiments/analyse"]["post"]>;
export type AnalyseRequest = BodyOf<paths["/api/v1/experiments/analyse"]["post"]>;
export type ArmResult = Analysis["arms"][number];
export type SampleSizeRequest = BodyOf<paths["/api/v1/experiments/sample-size"]["post"]>;
export type SampleSize = Ok<paths["/api/v1/experiments/sample-size"]["post"]>;
export type Rollout = Ok<RolloutPath["get"]>;
export type RolloutConfig = BodyOf<RolloutPath["put"]>;
export type ChanceHistory = Ok<paths["/api/v1/experiments/campaigns/{campaign_id}/history"]["get"]>;
export type Decision = Ok<paths["/api/v1/experiments/campaigns/{campaign_id}/decisions"]["get"]>[number];

const POLL_MS = 5_000;

const keys = {
  report: (id: number) => ["experiments", id, "report"] as const,
  rollout: (id: number) => ["experiments", id, "rollout"] as const,
  decisions: (id: number) => ["experiments", id, "decisions"] as const,
  history: (id: number, metric: string) => ["experiments", id, "history", metric] as const,
};

export function useExperimentReport(id: number) {
  return useQuery({
    queryKey: keys.report(id),
    queryFn: () =>
      unwrap(api.GET("/api/v1/experiments/campaigns/{campaign_id}", { params: { path: { campaign_id: id } } })),
    refetchInterval: POLL_MS,
  });
}

export function useRollout(id: number) {
  return useQuery({
    queryKey: keys.rollout(id),
    queryFn: () =>
      unwrap(api.GET("/api/v1/experiments/campaigns/{campaign_id}/rollout", { params: { path: { campaign_id: id } } })),
    refetchInterval: POLL_MS,
  });
}

export function useDecisions(id: number) {
  return useQuery({
    queryKey: keys.decisions(id),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/experiments/campaigns/{campaign_id}/decisions", { params: { path: { campaign_id: id } } }),
      ),
    refetchInterval: POLL_MS,
  });
}

/** Chance to win over time, recounted by the API from the stored events (never drawn here). */
export function useChanceHistory(id: number, metric: "converted" | "clicked" = "converted") {
  return useQuery({
    queryKey: keys.history(id, metric),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/experiments/campaigns/{campaign_id}/history", {
          params: { path: { campaign_id: id }, query: { metric, points: 24 } },
        }),
      ),
    refetchInterval: POLL_MS,
  });
}

/** The sample size a test of `arms` variants needs, and whether `audience` gives it (asked, not computed here). */
export function usePlannedSample(body: SampleSizeRequest, enabled: boolean) {
  return useQuery({
    queryKey: ["experiments", "sample-size", body] as const,
    queryFn: () => unwrap(api.POST("/api/v1/experiments/sample-size", { body })),
    enabled,
  });
}

function useRolloutChanged(id: number) {
  const client = useQueryClient();
  return (rollout: Rollout) => {
    client.setQueryData(keys.rollout(id), rollout);
    void client.invalidateQueries({ queryKey: keys.decisions(id) });
  };
}

export function useSetRollout(id: number) {
  const changed = useRolloutChanged(id);
  return useMutation({
    mutationFn: (body: RolloutConfig) =>
      unwrap(api.PUT("/api/v1/experiments/campaigns/{campaign_id}/rollout", { params: { path: { campaign_id: id } }, body })),
    onSuccess: changed,
  });
}

export function useApproveWinner(id: number) {
  const changed = useRolloutChanged(id);
  return useMutation({
    mutationFn: (variantKey: string | null) =>
      unwrap(
        api.POST("/api/v1/experiments/campaigns/{campaign_id}/rollout/approve", {
          params: { path: { campaign_id: id } },
          body: { variant_key: variantKey },
        }),
      ),
    onSuccess: changed,
  });
}

export function useResumeArm(id: number) {
  const changed = useRolloutChanged(id);
  return useMutation({
    mutationFn: (variantKey: string) =>
      unwrap(
        api.POST("/api/v1/experiments/campaigns/{campaign_id}/arms/{variant_key}/resume", {
          params: { path: { campaign_id: id, variant_key: variantKey } },
        }),
      ),
    onSuccess: changed,
  });
}

export function useAnalyse() {
  return useMutation({
    mutationFn: (body: AnalyseRequest) => unwrap(api.POST("/api/v1/experiments/analyse", { body })),
  });
}

export function useSampleSize() {
  return useMutation({
    mutationFn: (body: SampleSizeRequest) => unwrap(api.POST("/api/v1/experiments/sample-size", { body })),
  });
}
