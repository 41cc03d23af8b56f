/** Chance to win over time: each variant's chance to be best at moments of the campaign, as the API recounted them
 * from the stored events, with the certainty the rule needs drawn across. */
import { Card, Typography } from "antd";

import { useChanceHistory, type ChanceHistory } from "../../api/experiments";
import { formatDateTime } from "../../components/format";
import { formatChance } from "./numbers";

const COLOURS = ["#0958d9", "#d46b08", "#389e0d", "#722ed1", "#c41d7f", "#08979c"];
const WIDTH = 560;
const HEIGHT = 220;
const LEFT = 44;
const RIGHT = 12;
const TOP = 10;
const BOTTOM = 26;

type Point = ChanceHistory["points"][number];

function momentLabel(point: Point): string {
  const arms = point.arms
    .map((arm) => `${arm.key} ${formatChance(arm.chance_to_be_best)} (${arm.successes} of ${arm.trials})`)
    .join(", ");
  const verdict =
    point.leader !== null && point.leader !== undefined
      ? `winner ${point.leader}`
      : point.verdict === "not_enough_data"
        ? "not enough data yet"
        : "no clear winner yet";
  return `${formatDateTime(point.at)}: chance to be best ${arms}; ${verdict}`;
}

export function ChanceOverTime({ campaignId, metric }: { campaignId: number; metric: "converted" | "clicked" }) {
  const history = useChanceHistory(campaignId, metric);
  const data = history.data;
  if (!data) return null;
  const points = data.points;
  const keys = points[0]?.arms.map((arm) => arm.key) ?? [];
  const colour = (key: string) => COLOURS[Math.max(0, keys.indexOf(key)) % COLOURS.length];
  const times = points.map((p) => new Date(p.at).getTime());
  const t0 = times[0] ?? 0;
  const span = Math.max((times[times.length - 1] ?? 0) - t0, 1);
  const x = (t: number) => (points.length === 1 ? LEFT + (WIDTH - LEFT - RIGHT) / 2 : LEFT + ((t - t0) / span) * (WIDTH - LEFT - RIGHT));
  const y = (p: number) => TOP + (1 - p) * (HEIGHT - TOP - BOTTOM);
  const needed = data.rule.chance_to_win;
  return (
    <section aria-label="Chance to win over time">
    <Card title="Chance to win over time">
      {points.length === 0 ? (
        <Typography.Text type="secondary">Nothing sent yet: no chance to draw.</Typography.Text>
      ) : (
        <>
          <Typography.Paragraph type="secondary">
            Each variant's chance to be best ({data.metric} per sent message), recounted at {points.length} moments from the first send to
            the latest event. The dashed line is the {formatChance(needed)} a winner needs (with {data.rule.min_trials_per_arm} sends per
            variant). Engine: {data.engine}.
          </Typography.Paragraph>
          <Typography.Paragraph type="secondary">
            {keys.map((key) => (
              <span key={key} style={{ marginRight: 12 }}>
                <span aria-hidden style={{ display: "inline-block", width: 10, height: 10, background: colour(key), marginRight: 4 }} />
                Variant {key}
                {key === data.control_key ? " (control)" : ""}
              </span>
            ))}
          </Typography.Paragraph>
          <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width="100%" style={{ maxWidth: WIDTH }} role="list" aria-label="Chance to be best over time">
            {[0, 0.25, 0.5, 0.75, 1].map((tick) => (
              <g key={tick} aria-hidden>
                <line x1={LEFT} x2={WIDTH - RIGHT} y1={y(tick)} y2={y(tick)} stroke="#f0f0f0" />
                <text x={LEFT - 6} y={y(tick) + 4} fontSize={11} textAnchor="end" fill="rgba(0,0,0,0.65)">
                  {`${tick * 100}%`}
                </text>
              </g>
            ))}
            <line aria-hidden x1={LEFT} x2={WIDTH - RIGHT} y1={y(needed)} y2={y(needed)} stroke="#cf1322" strokeDasharray="4 3" />
            <text aria-hidden x={LEFT} y={HEIGHT - 8} fontSize={11} fill="rgba(0,0,0,0.65)">
              {formatDateTime(points[0]?.at)}
            </text>
            <text aria-hidden x={WIDTH - RIGHT} y={HEIGHT - 8} fontSize={11} textAnchor="end" fill="rgba(0,0,0,0.65)">
              {formatDateTime(points[points.length - 1]?.at)}
            </text>
            {keys.map((key) => {
              const path = points
                .map((p, i) => {
                  const chance = p.arms.find((arm) => arm.key === key)?.chance_to_be_best;
                  return chance === null || chance === undefined ? null : `${x(times[i] ?? t0)},${y(chance)}`;
                })
                .filter((s): s is string => s !== null);
              return path.length > 1 ? (
                <polyline key={key} aria-hidden points={path.join(" ")} fill="none" stroke={colour(key)} strokeWidth={2} />
              ) : null;
            })}
            {points.map((point, i) => {
              const label = momentLabel(point);
              return (
                <g key={point.at} role="listitem" aria-label={label}>
                  <title>{label}</title>
                  {point.arms.map((arm) =>
                    arm.chance_to_be_best === null || arm.chance_to_be_best === undefined ? null : (
                      <circle key={arm.key} cx={x(times[i] ?? t0)} cy={y(arm.chance_to_be_best)} r={3} fill={colour(arm.key)} />
                    ),
                  )}
                </g>
              );
            })}
          </svg>
        </>
      )}
    </Card>
    </section>
  );
}
