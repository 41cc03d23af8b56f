/** The bandit's traffic shares batch by batch, and each variant's chance to be best when it re-weighted. */
import { Card, Typography } from "antd";

import { useDecisions } from "../../api/experiments";
import { formatDateTime } from "../../components/format";
import { formatChance, formatRate } from "./numbers";

const COLOURS = ["#0958d9", "#d46b08", "#389e0d", "#722ed1", "#c41d7f", "#08979c"];
const WIDTH = 520;
const BAR = 16;

export function TrafficOverTime({ campaignId }: { campaignId: number }) {
  const decisions = useDecisions(campaignId);
  const batches = (decisions.data ?? []).filter((d) => d.action === "experiment.reweighted");
  if (batches.length === 0) return null;
  const keys = Object.keys((batches[0]?.data.weights ?? {}) as Record<string, number>);
  const colour = (key: string) => COLOURS[Math.max(0, keys.indexOf(key)) % COLOURS.length];
  const height = batches.length * (BAR + 6) + 10;
  return (
    <Card title="Bandit: traffic share of each batch">
      <Typography.Paragraph type="secondary">
        {keys.map((key) => (
          <span key={key} style={{ marginRight: 12 }}>
            <span aria-hidden style={{ display: "inline-block", width: 10, height: 10, background: colour(key), marginRight: 4 }} />
            Variant {key}
          </span>
        ))}
      </Typography.Paragraph>
      <svg viewBox={`0 0 ${WIDTH} ${height}`} width="100%" style={{ maxWidth: WIDTH }} role="list" aria-label="Traffic share per batch">
        {batches.map((batch, row) => {
          const weights = (batch.data.weights ?? {}) as Record<string, number>;
          const best = (batch.data.chance_to_be_best ?? {}) as Record<string, number>;
          const label =
            `Batch ${String(batch.data.batch)} at ${formatDateTime(batch.at)}: ` +
            Object.entries(weights)
              .map(([key, w]) => `${key} ${formatRate(w, 1)}${best[key] !== undefined ? ` (chance to be best ${formatChance(best[key])})` : ""}`)
              .join(", ");
          let x = 0;
          return (
            <g key={`${batch.at}-${row}`} role="listitem" aria-label={label}>
              <title>{label}</title>
              {Object.entries(weights).map(([key, w]) => {
                const width = w * WIDTH;
                const rect = <rect key={key} x={x} y={row * (BAR + 6)} width={width} height={BAR} fill={colour(key)} />;
                x += width;
                return rect;
              })}
            </g>
          );
        })}
      </svg>
    </Card>
  );
}
