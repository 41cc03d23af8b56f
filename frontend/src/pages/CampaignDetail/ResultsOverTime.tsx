/**
 * The campaign's counts over time (deliveries, reads, clicks, replies, conversions, opt-outs) per
 * hour or per day, as lines; the same numbers as a table for screen readers and exact values.
 * A bot's reads are not drawn at all: Telegram gives bots no read receipts.
 */
import { Card, Empty, Flex, Segmented, Space, Switch, Table, Typography } from "antd";
import { useState } from "react";

import { useCampaignTimeseries } from "../../api/results";
import type { TimeseriesPoint } from "../../api/types";
import { formatCount } from "../../components/format";
import { ProblemAlert } from "../../components/ProblemAlert";
import { UnobservableTag } from "./LiveResults";

type Series = "delivered" | "read" | "clicked" | "replied" | "converted" | "unsubscribed";

// Colours distinguishable for the common colour-vision deficiencies (Okabe–Ito), each also dashed differently.
const SERIES: { key: Series; label: string; color: string; dash?: string }[] = [
  { key: "delivered", label: "Delivered", color: "#0072B2" },
  { key: "read", label: "Read", color: "#56B4E9", dash: "2 3" },
  { key: "clicked", label: "Clicked", color: "#E69F00", dash: "6 3" },
  { key: "replied", label: "Replied", color: "#009E73", dash: "1 2" },
  { key: "converted", label: "Converted", color: "#CC79A7" },
  { key: "unsubscribed", label: "Opted out", color: "#D55E00", dash: "4 2 1 2" },
];

const WIDTH = 720;
const HEIGHT = 240;
const PAD = { left: 48, right: 12, top: 12, bottom: 28 };

function bucketLabel(iso: string, bucket: "hour" | "day"): string {
  const date = new Date(iso);
  return bucket === "day"
    ? new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" }).format(date)
    : new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }).format(date);
}

function LineChart({ points, series, bucket }: { points: TimeseriesPoint[]; series: typeof SERIES; bucket: "hour" | "day" }) {
  const max = Math.max(1, ...points.flatMap((p) => series.map((s) => p[s.key] ?? 0)));
  const innerW = WIDTH - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (points.length === 1 ? innerW / 2 : (i * innerW) / (points.length - 1));
  const y = (v: number) => PAD.top + innerH - (v / max) * innerH;
  const ticks = [0, Math.round(max / 2), max];
  const labelEvery = Math.max(1, Math.ceil(points.length / 6));
  return (
    <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width="100%" role="img" aria-label={`Counts per ${bucket}, ${points.length} ${bucket}${points.length === 1 ? "" : "s"}`} style={{ maxHeight: 280 }}>
      {ticks.map((t) => (
        <g key={t}>
          <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(t)} y2={y(t)} stroke="#e5e5e5" />
          <text x={PAD.left - 6} y={y(t) + 4} fontSize={11} textAnchor="end" fill="rgba(0,0,0,0.65)">
            {formatCount(t)}
          </text>
        </g>
      ))}
      {points.map((p, i) =>
        i % labelEvery === 0 ? (
          <text key={p.start} x={x(i)} y={HEIGHT - 8} fontSize={11} textAnchor="middle" fill="rgba(0,0,0,0.65)">
            {bucketLabel(p.start, bucket)}
          </text>
        ) : null,
      )}
      {series.map((s) => {
        const path = points.map((p, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${y(p[s.key] ?? 0).toFixed(1)}`).join(" ");
        return (
          <g key={s.key}>
            <path d={path} fill="none" stroke={s.color} strokeWidth={2} strokeDasharray={s.dash} />
            {points.map((p, i) => (
              <circle key={p.start} cx={x(i)} cy={y(p[s.key] ?? 0)} r={2.5} fill={s.color}>
                <title>{`${s.label}, ${bucketLabel(p.start, bucket)}: ${formatCount(p[s.key])}`}</title>
              </circle>
            ))}
          </g>
        );
      })}
    </svg>
  );
}

export function ResultsOverTime({ campaignId, live, pollMs }: { campaignId: number; live: boolean; pollMs: number }) {
  const [bucket, setBucket] = useState<"hour" | "day">("hour");
  const [asTable, setAsTable] = useState(false);
  const series = useCampaignTimeseries(campaignId, bucket, live, pollMs);
  const points = series.data?.points ?? [];
  const hidden = new Set(series.data?.unobservable ?? []);
  const shown = SERIES.filter((s) => !hidden.has(s.key));

  return (
    <Card
      title="Results over time"
      extra={
        <Space size={12} wrap>
          <Segmented<"hour" | "day">
            aria-label="Count per"
            value={bucket}
            onChange={setBucket}
            options={[
              { value: "hour", label: "Per hour" },
              { value: "day", label: "Per day" },
            ]}
          />
          <Space size={6}>
            <Switch size="small" checked={asTable} onChange={setAsTable} aria-label="Show as a table" />
            <Typography.Text>Table</Typography.Text>
          </Space>
        </Space>
      }
    >
      <ProblemAlert error={series.error} />
      <section aria-label="Results over time">
        {points.length === 0 ? (
          <Empty description={series.isLoading ? "Loading…" : "No deliveries or responses yet."} />
        ) : asTable ? (
          <Table<TimeseriesPoint>
            rowKey="start"
            size="small"
            pagination={false}
            scroll={{ x: "max-content", y: 320 }}
            dataSource={points}
            columns={[
              { title: bucket === "day" ? "Day" : "Hour", dataIndex: "start", render: (iso: string) => bucketLabel(iso, bucket) },
              ...SERIES.map((s) => ({
                title: s.label,
                key: s.key,
                align: "right" as const,
                render: (_: unknown, p: TimeseriesPoint) => (hidden.has(s.key) ? "—" : formatCount(p[s.key])),
              })),
            ]}
          />
        ) : (
          <LineChart points={points} series={shown} bucket={bucket} />
        )}
        <Flex gap={14} wrap align="center" style={{ marginTop: 8 }} role="list" aria-label="Legend">
          {shown.map((s) => (
            <Space key={s.key} size={6} role="listitem">
              <svg width={22} height={8} aria-hidden>
                <line x1={0} x2={22} y1={4} y2={4} stroke={s.color} strokeWidth={2} strokeDasharray={s.dash} />
              </svg>
              <Typography.Text>{s.label}</Typography.Text>
            </Space>
          ))}
        </Flex>
        {hidden.has("read") && (
          <div style={{ marginTop: 8 }}>
            <UnobservableTag reason="Bots cannot see reads: the Telegram Bot API sends no read receipts." />
          </div>
        )}
        <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>
          Events per {bucket} (UTC buckets, shown in your time zone); a person who clicks twice counts twice here, once in the
          table above.
        </Typography.Paragraph>
      </section>
    </Card>
  );
}
