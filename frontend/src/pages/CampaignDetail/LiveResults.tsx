/**
 * Per-variant results and the funnel, polled every two seconds while the campaign sends. Rates,
 * credible intervals and the chances come from the experiments API as they are.
 */
import { Badge, Card, Col, Progress, Row, Space, Table, Tag, Tooltip, Typography } from "antd";
import type { TableProps } from "antd";

import type { EventType } from "../../api/analytics";
import { useCampaignExperiment, useCampaignFunnel, useCampaignStats } from "../../api/results";
import type { ArmResult, ExperimentResults, FunnelStep, VariantStats } from "../../api/types";
import { formatCount, formatPercent, formatUsdMicros } from "../../components/format";
import { ProblemAlert } from "../../components/ProblemAlert";

type Count = Exclude<keyof VariantStats, "variant_key">;

const FUNNEL_STEPS: EventType[] = ["sent", "delivered", "read", "clicked", "converted"];

interface ResultRow {
  key: string;
  label: string;
  stats: VariantStats;
  arm: ArmResult | undefined;
  isControl: boolean;
  isTotal: boolean;
}

const METRIC_NAME: Record<string, string> = {
  converted: "Conversion",
  clicked: "Click",
  read: "Read",
  replied: "Reply",
  delivered: "Delivery",
  unsubscribed: "Unsubscribe",
};

function RateCell({ row, results }: { row: ResultRow; results: ExperimentResults | null | undefined }) {
  if (row.arm) {
    const { rate, ci_low, ci_high } = row.arm;
    return (
      <Tooltip title={`95% credible interval: ${formatPercent(ci_low)} to ${formatPercent(ci_high)}`}>
        <span>
          {formatPercent(rate)}{" "}
          <Typography.Text type="secondary">
            ({formatPercent(ci_low)}–{formatPercent(ci_high)})
          </Typography.Text>
        </span>
      </Tooltip>
    );
  }
  // The totals row (or no experiment): the observed ratio alone, with no interval to claim.
  const metric = (results?.metric ?? "converted") as Count;
  const exposure = (results?.exposure ?? "sent") as Count;
  const trials = row.stats[exposure];
  const successes = row.stats[metric];
  return trials && successes !== null ? formatPercent(successes / trials) : "—";
}

/** A count the sender cannot observe (a bot's reads): a tag with the reason, never a measured 0. */
export function UnobservableTag({ reason }: { reason: string }) {
  return (
    <Tooltip title={reason}>
      <Tag tabIndex={0} aria-label={`Not measured: ${reason}`}>
        Bots cannot see reads
      </Tag>
    </Tooltip>
  );
}

function columns(results: ExperimentResults | null | undefined, readHidden: string | undefined): TableProps<ResultRow>["columns"] {
  const metricName = METRIC_NAME[results?.metric ?? "converted"] ?? results?.metric ?? "Conversion";
  const count = (key: Count, title: string) => ({
    title,
    key,
    align: "right" as const,
    render: (_: unknown, row: ResultRow) => formatCount(row.stats[key]),
  });
  const chance = (value: number | null | undefined, row: ResultRow) =>
    row.isTotal ? "—" : formatPercent(value);
  return [
    {
      title: "Variant",
      dataIndex: "label",
      key: "label",
      render: (label: string, row) => (row.isTotal ? <strong>{label}</strong> : label),
    },
    count("sent", "Sent"),
    count("delivered", "Delivered"),
    readHidden
      ? { title: "Read", key: "read", align: "right" as const, render: () => <UnobservableTag reason={readHidden} /> }
      : count("read", "Read"),
    count("clicked", "Clicked"),
    count("replied", "Replied"),
    count("converted", "Converted"),
    count("unsubscribed", "Opt-outs"),
    {
      title: "Revenue",
      key: "revenue",
      align: "right" as const,
      render: (_: unknown, row: ResultRow) => formatUsdMicros(row.stats.revenue_usd_micros),
    },
    {
      title: `${metricName} rate (95% CI)`,
      key: "rate",
      align: "right",
      render: (_, row) => <RateCell row={row} results={results} />,
    },
    {
      title: "Chance to beat control",
      key: "beat_control",
      align: "right",
      render: (_, row) =>
        row.isControl ? <Typography.Text type="secondary">control</Typography.Text> : chance(row.arm?.chance_to_beat_control, row),
    },
    {
      title: "Chance to be best",
      key: "be_best",
      align: "right",
      render: (_, row) => chance(row.arm?.chance_to_be_best, row),
    },
    {
      title: "Lift",
      key: "lift",
      align: "right",
      render: (_, row) => {
        const lift = row.arm?.lift;
        if (row.isControl || lift === null || lift === undefined) return "—";
        return `${lift >= 0 ? "+" : ""}${formatPercent(lift)}`;
      },
    },
  ];
}

function toRows(variants: VariantStats[], totals: VariantStats | undefined, results: ExperimentResults | null | undefined): ResultRow[] {
  const control = results?.control_key ?? "A";
  const rows: ResultRow[] = variants.map((stats) => ({
    key: stats.variant_key ?? "none",
    label: stats.variant_key ? `Variant ${stats.variant_key}` : "No variant",
    stats,
    arm: results?.arms.find((arm) => arm.key === stats.variant_key),
    isControl: stats.variant_key === control,
    isTotal: false,
  }));
  if (totals) rows.push({ key: "all", label: "All variants", stats: totals, arm: undefined, isControl: false, isTotal: true });
  return rows;
}

function FunnelChart({ steps, readHidden }: { steps: FunnelStep[]; readHidden: string | undefined }) {
  if (steps.length === 0) return <Typography.Text type="secondary">Nothing sent yet.</Typography.Text>;
  return (
    <Space orientation="vertical" size={10} style={{ width: "100%" }}>
      {steps.map((step, index) => (
        <div key={step.name}>
          <Row justify="space-between">
            <Col>
              <Typography.Text strong style={{ textTransform: "capitalize" }}>
                {step.name}
              </Typography.Text>
            </Col>
            <Col>
              {readHidden && step.name === "read" ? <UnobservableTag reason={readHidden} /> : <Typography.Text>{formatCount(step.count)}</Typography.Text>}{" "}
              {index > 0 && (steps[index - 1]?.count ?? 0) > 0 && (
                <Typography.Text type="secondary">· {formatPercent(step.conversion_from_previous)} of previous</Typography.Text>
              )}
            </Col>
          </Row>
          <Progress
            percent={Math.round(step.conversion_from_start * 1000) / 10}
            showInfo={false}
            status="normal"
            aria-label={`${step.name}: ${formatPercent(step.conversion_from_start)} of the first step`}
            style={{ marginBottom: 0 }}
          />
        </div>
      ))}
    </Space>
  );
}

export function LiveResults({ campaignId, live, pollMs }: { campaignId: number; live: boolean; pollMs: number }) {
  const stats = useCampaignStats(campaignId, live, pollMs);
  // A step the sender cannot observe (a bot's reads) would stop everyone after it at 0: leave it out.
  const observable = stats.data?.observable ?? {};
  const funnelSteps = stats.data || stats.isError ? FUNNEL_STEPS.filter((step) => observable[step] !== false) : undefined;
  const funnel = useCampaignFunnel(campaignId, live, pollMs, funnelSteps);
  const experiment = useCampaignExperiment(campaignId, live, pollMs);
  const results = experiment.data;
  const rows = toRows(stats.data?.variants ?? [], stats.data?.totals, results);
  const readHidden = stats.data?.observable?.read === false ? (stats.data.unobservable_reasons?.read ?? "Bots cannot see reads.") : undefined;

  const status = live ? (
    <Badge status="processing" text={`Live · every ${pollMs / 1000} s`} />
  ) : (
    <Badge status="default" text="Not sending" />
  );

  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} xxl={16}>
        <Card
          title="Results per variant"
          extra={
            <Space size={12}>
              {results?.leader && <Tag color="success">Leading: variant {results.leader}</Tag>}
              {status}
            </Space>
          }
        >
          <ProblemAlert error={stats.error ?? experiment.error} />
          <section aria-label="Per-variant results">
            <Table<ResultRow>
              rowKey="key"
              size="middle"
              columns={columns(results, readHidden)}
              dataSource={rows}
              loading={stats.isLoading}
              pagination={false}
              scroll={{ x: "max-content" }}
              locale={{ emptyText: "No results yet" }}
            />
          </section>
          {results && (
            <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>
              Rate: {results.metric} per {results.exposure} message; control: variant {results.control_key}. In brackets, the
              95% credible interval; “chance to beat control” is the probability that the variant’s true rate is higher than
              the control’s.
            </Typography.Paragraph>
          )}
        </Card>
      </Col>
      <Col xs={24} xxl={8}>
        <Card title="Funnel" style={{ height: "100%" }}>
          <ProblemAlert error={funnel.error} />
          <section aria-label="Funnel">{funnel.data && <FunnelChart steps={funnel.data.steps} readHidden={readHidden} />}</section>
        </Card>
      </Col>
    </Row>
  );
}
