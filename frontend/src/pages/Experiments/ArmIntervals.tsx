/** Interval bars: each variant's rate with its 95% credible interval on one shared scale. */
import { Typography } from "antd";

import type { ArmResult } from "../../api/experiments";
import { formatRate } from "./numbers";

const WIDTH = 520;
const ROW = 34;
const LEFT = 90;

export function ArmIntervals({ arms, controlKey }: { arms: ArmResult[]; controlKey: string }) {
  const shown = arms.filter((arm) => arm.trials > 0);
  if (shown.length === 0) return <Typography.Text type="secondary">Nothing sent yet: no interval to draw.</Typography.Text>;
  const top = Math.max(...shown.map((arm) => arm.ci_high)) * 1.1 || 1;
  const x = (value: number) => LEFT + (value / top) * (WIDTH - LEFT - 20);
  const height = shown.length * ROW + 24;
  const ticks = [0, top / 4, top / 2, (3 * top) / 4];
  return (
    <svg
      viewBox={`0 0 ${WIDTH} ${height}`}
      width="100%"
      role="img"
      aria-label="Rate of each variant with its 95% credible interval"
      style={{ maxWidth: WIDTH }}
    >
      {ticks.map((tick) => (
        <g key={tick}>
          <line x1={x(tick)} x2={x(tick)} y1={0} y2={height - 18} stroke="#f0f0f0" />
          <text x={x(tick)} y={height - 4} fontSize={11} textAnchor="middle" fill="rgba(0,0,0,0.65)">
            {formatRate(tick, 1)}
          </text>
        </g>
      ))}
      {shown.map((arm, index) => {
        const y = index * ROW + ROW / 2;
        const control = arm.key === controlKey;
        const colour = control ? "#595959" : "#0958d9";
        return (
          <g key={arm.key} role="img" aria-label={`Variant ${arm.key}: ${formatRate(arm.rate)}, 95% credible interval ${formatRate(arm.ci_low)} to ${formatRate(arm.ci_high)}`}>
            <text x={0} y={y + 4} fontSize={12} fill="rgba(0,0,0,0.88)">
              {`Variant ${arm.key}${control ? " (control)" : ""}`}
            </text>
            <line x1={x(arm.ci_low)} x2={x(arm.ci_high)} y1={y} y2={y} stroke={colour} strokeWidth={6} strokeLinecap="round" opacity={0.35} />
            <circle cx={x(arm.rate ?? 0)} cy={y} r={5} fill={colour} />
          </g>
        );
      })}
    </svg>
  );
}
