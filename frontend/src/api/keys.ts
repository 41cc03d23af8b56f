/** TanStack Query keys, one place, so a mutation invalidates exactly what it changed. */
export const keys = {
  me: ["auth", "me"] as const,
  campaigns: ["campaigns"] as const,
  campaignList: (status: string | undefined, limit: number, offset: number) =>
    ["campaigns", "list", { status, limit, offset }] as const,
  campaign: (id: number) => ["campaigns", "detail", id] as const,
  reviews: ["reviews"] as const,
  reviewList: (status: string | undefined, limit: number, offset: number) =>
    ["reviews", "list", { status, limit, offset }] as const,
  openReviewCount: ["reviews", "open-count"] as const,
  contacts: (limit: number, offset: number) => ["contacts", { limit, offset }] as const,
  segments: ["segments"] as const,
  senders: ["senders"] as const,
  results: (id: number) => ["results", id] as const,
  stats: (id: number) => ["results", id, "stats"] as const,
  funnel: (id: number) => ["results", id, "funnel"] as const,
  experiment: (id: number) => ["results", id, "experiment"] as const,
};
