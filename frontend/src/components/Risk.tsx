/** A campaign's risk score as the safety guard gave it, and the reasons behind it. */
import { Space, Tag, Tooltip, Typography } from "antd";

import type { RiskReason } from "../api/types";

function scoreColor(score: number): string {
  if (score >= 0.6) return "error";
  if (score >= 0.3) return "warning";
  return "success";
}

export function RiskScore({ score }: { score: number }) {
  return (
    <Tooltip title="Risk score from the safety guard, 0 (safe) to 1 (risky)">
      <Tag color={scoreColor(score)} style={{ marginInlineEnd: 0 }}>
        {score.toFixed(2)}
      </Tag>
    </Tooltip>
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
