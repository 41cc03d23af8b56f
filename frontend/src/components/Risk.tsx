/** A campaign's risk score as the safety guard gave it, and the reasons behind it. */
import { Flex, Space, Tag, Tooltip, Typography } from "antd";

import { useSafetySettings } from "../api/safety";
import type { RiskReason } from "../api/types";

const DEFAULT_THRESHOLD = 0.5;

function scoreColor(score: number, threshold: number): string {
  if (score >= threshold) return "error";
  if (score >= threshold / 2) return "warning";
  return "success";
}

/** The workspace's review threshold (Safety settings), or the default until it has loaded. */
export function useReviewThreshold(): number {
  return useSafetySettings().data?.review_threshold ?? DEFAULT_THRESHOLD;
}

/** A risk score on its scale, 0 (safe) to 1 (risky); `scale` draws the bar with the review threshold marked. */
export function RiskScore({ score, scale = false }: { score: number; scale?: boolean }) {
  const threshold = useReviewThreshold();
  const label = `Risk score ${score.toFixed(2)} of 1; campaigns from ${threshold.toFixed(2)} go to review`;
  if (scale) return <RiskScale score={score} threshold={threshold} />;
  return (
    <Tooltip title={`Risk score from the safety guard, 0 (safe) to 1 (risky); from ${threshold.toFixed(2)} a person reviews the campaign`}>
      <Tag color={scoreColor(score, threshold)} style={{ marginInlineEnd: 0 }} aria-label={label}>
        {score.toFixed(2)} / 1
      </Tag>
    </Tooltip>
  );
}

const BAR_COLOR: Record<string, string> = { error: "#cf1322", warning: "#d48806", success: "#389e0d" };

/** A bar from 0 to 1 filled to the score, with a mark where review begins. */
export function RiskScale({ score, threshold }: { score: number; threshold: number }) {
  const clamp = (v: number) => Math.min(Math.max(v, 0), 1);
  return (
    <div style={{ width: 260, maxWidth: "100%" }}>
      <div
        role="meter"
        aria-valuemin={0}
        aria-valuemax={1}
        aria-valuenow={score}
        aria-label={`Risk score ${score.toFixed(2)} of 1; review from ${threshold.toFixed(2)}`}
        style={{ position: "relative", height: 10, background: "#f0f0f0", borderRadius: 5, marginTop: 6 }}
      >
        <div style={{ width: `${clamp(score) * 100}%`, height: "100%", borderRadius: 5, background: BAR_COLOR[scoreColor(score, threshold)] }} />
        <div aria-hidden style={{ position: "absolute", left: `calc(${clamp(threshold) * 100}% - 1px)`, top: -4, bottom: -4, width: 2, background: "#262626" }} />
      </div>
      <Flex justify="space-between" style={{ fontSize: 12 }}>
        <Typography.Text type="secondary">0 safe</Typography.Text>
        <Typography.Text strong>
          {score.toFixed(2)} · review from {threshold.toFixed(2)}
        </Typography.Text>
        <Typography.Text type="secondary">1 risky</Typography.Text>
      </Flex>
    </div>
  );
}

const SEVERITY_COLOR: Record<string, string> = { block: "error", high: "error", warn: "warning", medium: "warning", info: "blue", low: "blue" };

export function RiskReasons({ reasons, compact = false }: { reasons: RiskReason[]; compact?: boolean }) {
  if (reasons.length === 0) return <Typography.Text type="secondary">No risk found</Typography.Text>;
  return (
    <Space orientation="vertical" size={compact ? 2 : 6} style={{ width: "100%" }}>
      {reasons.map((reason, index) => (
        <div key={`${reason.code}-${index}`}>
          <Tag color={SEVERITY_COLOR[reason.severity.toLowerCase()] ?? "default"}>{reason.severity}</Tag>
          <Typography.Text>{reason.message}</Typography.Text>{" "}
          {!compact && <Typography.Text type="secondary" code>{reason.code}</Typography.Text>}
        </div>
      ))}
    </Space>
  );
}
