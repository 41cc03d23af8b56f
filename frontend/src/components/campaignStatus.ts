/**
 * How a campaign's status reads on screen, and which action buttons to offer in it. The state machine
 * lives in the server, which refuses an illegal transition with a 409 that the page shows.
 */
import type { CampaignAction } from "../api/campaigns";
import type { Campaign, CampaignStatus } from "../api/types";

export const STATUS_LABEL: Record<CampaignStatus, string> = {
  draft: "Draft",
  pending_review: "Pending review",
  approved: "Approved",
  scheduled: "Scheduled",
  running: "Running",
  paused: "Paused",
  completed: "Completed",
  cancelled: "Cancelled",
};

export const STATUS_COLOR: Record<CampaignStatus, string> = {
  draft: "default",
  pending_review: "warning",
  approved: "blue",
  scheduled: "geekblue",
  running: "processing",
  paused: "warning",
  completed: "success",
  cancelled: "default",
};

export const CAMPAIGN_STATUSES = Object.keys(STATUS_LABEL) as CampaignStatus[];

const LIVE: ReadonlySet<CampaignStatus> = new Set(["approved", "scheduled", "running"]);

/** A campaign about to send or sending: its page polls for fresh numbers. */
export function isLive(status: CampaignStatus): boolean {
  return LIVE.has(status);
}

const DAY_MS = 86_400_000;
const SETTLING: ReadonlySet<CampaignStatus> = new Set(["completed", "paused", "cancelled"]);

type Settling = Pick<Campaign, "status" | "completed_at" | "archived_at">;

/**
 * When a stopped campaign's results are taken as settled: a day after its latest event or after
 * it stopped, whichever is later (reads, clicks, conversions and opt-outs keep arriving). Null
 * while that is not known (no time at all), so the results stay live.
 */
export function resultsSettleAt(campaign: Settling, lastEventAt: string | null | undefined): number | null {
  const times = [campaign.completed_at, lastEventAt].filter((at): at is string => Boolean(at)).map((at) => new Date(at).getTime());
  return times.length ? Math.max(...times) + DAY_MS : null;
}

/**
 * Whether a campaign's results may still change: while it sends, and after it stopped until a day
 * without events has passed (see `resultsSettleAt`), unless it is archived.
 */
export function resultsStillMoving(campaign: Settling, lastEventAt: string | null | undefined, now = Date.now()): boolean {
  if (campaign.archived_at) return false;
  if (isLive(campaign.status)) return true;
  if (!SETTLING.has(campaign.status)) return false;
  const settleAt = resultsSettleAt(campaign, lastEventAt);
  return settleAt === null || now < settleAt;
}

const ACTIONS: Record<CampaignStatus, CampaignAction[]> = {
  draft: ["submit", "cancel"],
  pending_review: ["cancel"],
  approved: ["cancel"],
  scheduled: ["cancel"],
  running: ["pause", "cancel"],
  paused: ["resume", "cancel"],
  completed: [],
  cancelled: [],
};

export function actionsFor(status: CampaignStatus): CampaignAction[] {
  return ACTIONS[status];
}

/** The user wrote the variants: no strategist ran (the server records the provider as "manual"). */
export function isHandWritten(campaign: Pick<Campaign, "agent_provider">): boolean {
  return campaign.agent_provider === "manual";
}
