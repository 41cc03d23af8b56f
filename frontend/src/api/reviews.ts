import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "./client";
import { keys } from "./keys";
import type { ReviewStatus } from "./types";

export function useReviews(status: ReviewStatus | undefined, limit: number, offset: number) {
  return useQuery({
    queryKey: keys.reviewList(status, limit, offset),
    queryFn: () => unwrap(api.GET("/api/v1/orchestrator/reviews", { params: { query: { status, limit, offset } } })),
    placeholderData: (previous) => previous,
    refetchInterval: 10_000,
  });
}

/** How many items wait for a reviewer: the badge in the side menu. */
export function useOpenReviewCount() {
  return useQuery({
    queryKey: keys.openReviewCount,
    queryFn: async () => {
      const page = await unwrap(
        api.GET("/api/v1/orchestrator/reviews", { params: { query: { status: "open", limit: 1, offset: 0 } } }),
      );
      return page.total;
    },
    refetchInterval: 15_000,
  });
}

export type ReviewDecision = "approve" | "reject";

export function useDecideReview() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, decision, note }: { id: number; decision: ReviewDecision; note?: string }) => {
      const options = { params: { path: { review_id: id } }, body: { note: note?.trim() ? note.trim() : null } };
      return decision === "approve"
        ? unwrap(api.POST("/api/v1/orchestrator/reviews/{review_id}/approve", options))
        : unwrap(api.POST("/api/v1/orchestrator/reviews/{review_id}/reject", options));
    },
    onSuccess: (item) => {
      void client.invalidateQueries({ queryKey: keys.reviews });
      void client.invalidateQueries({ queryKey: keys.campaigns });
      void client.invalidateQueries({ queryKey: keys.results(item.campaign_id) });
    },
  });
}
