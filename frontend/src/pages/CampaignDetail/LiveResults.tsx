/**
 * Per-variant results and the funnel, polled every two seconds while the campaign sends. Rates,
 * credible intervals and the chance to beat the control come from the experiments API as they are.
 */
import { Badge, Card, Col, Progress, Row, Space, Table, Tooltip, Typography } from "antd";
import type { TableProps } from "antd";

import { useCampaignExperiment, useCampaignFunnel, useCampaignStats } from "../../api/results";
import type { Arm, Experiment, FunnelStep, VariantStats } from "../../api/types";
import { formatCount, formatPercent } from "../../components/format";
import { ProblemAlert } from "../../components/ProblemAlert";

interface ResultRow {
  key: string;
  label: string;
  stats: VariantStats;
  arm: Arm | undefined;
  isControl: boolean;
}

const METRIC_NAME: Record<string, string> = {
  converted: "Conversion",
  conversion: "Conversion",
  clicked: "Click",
  click: "Click",
  read: "Read",
  replied: "Reply",
  delivered: "Delivery",
};

function rateCell(row: ResultRow, experiment: Experiment | null | undefined) {
  if (row.arm) {
    return (
      <Tooltip title={`95% credible interval ${formatPercent(row.arm.ci_low)} – ${formatPercent(row.arm.ci_high)}`}>
        <span>
          {formatPercent(row.arm.rate)}{" "}
          <Typography.Text type="secondary">
            ({formatPercent(row.arm.ci_low)}–{formatPercent(row.arm.ci_high)})
          </Typography.Text>
        </span>
      </Tooltip>
    );
  }
  // No experiment yet (or the totals row): the plain ratio, with no interval to claim.
  const metric = experiment?.metric ?? "converted";
  const successes = metric in row.stats ? Number(row.stats[metric as keyof VariantStats]) : row.stats.converted;
  return row.stats.sent > 0 ? formatPercent(successes / row.stats.sent) : "—";
}

function columns(experiment: Experiment | null | undefined): TableProps<ResultRow>["columns"] {
  const metricName = METRIC_NAME[experiment?.metric ?? "converted"] ?? experiment?.metric ?? "Conversion";
  const count = (key: keyof VariantStats, title: string) => ({
    title,
    key,
    align: "right" as const,
    render: (_: unknown, row: ResultRow) => formatCount(Number(row.stats[key])),
  });
  return [
    { title: "Variant", dataIndex: "label", key: "label", render: (label: string, row) => (row.key === "all" ? <strong>{label}</strong> : label) },
    count("sent", "Sent"),
    count("delivered", "Delivered"),
    count("read", "Read"),
    count("clicked", "Clicked"),
    count("converted", "Converted"),
    { title: `${metricName} rate (95% CI)`, key: "rate", align: "right", render: (_, row) => rateCell(row, experiment) },
    {
      title: "Chance to beat control",
      key: "p_beat",
      align: "right",
      render: (_, row) => (row.isControl ? <Typography.Text type="secondary">control</Typography.Text> : formatPercent(row.arm?.chance_to_beat_control)),
    },
    {
      title: "Lift",
      key: "lift",
      align: "right",
      render: (_, row) => (row.isControl || row.arm?.lift == null ? "—" : `${row.arm.lift >= 0 ? "+" : ""}${formatPercent(row.arm.lift)}`),
    },
    count("failed", "Failed"),
  ];
}

function toRows(variants: VariantStats[], totals: VariantStats | undefined, experiment: Experiment | null | undefined): ResultRow[] {
  const control = experiment?.control_key ?? "A";
  const rows: ResultRow[] = variants.map((stats) => ({
    key: stats.variant_key,
    label: `Variant ${stats.variant_key}`,
    stats,
    arm: experiment?.arms.find((arm) => arm.key === stats.variant_key),
    isControl: stats.variant_key === control,
  }));
  if (totals) rows.push({ key: "all", label: "All variants", stats: totals, arm: undefined, isControl: false });
  return rows;
}

function FunnelChart({ steps }: { steps: FunnelStep[] }) {
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
              <Typography.Text>{formatCount(step.count)}</Typography.Text>{" "}
              {index > 0 && (
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
  const funnel = useCampaignFunnel(campaignId, live, pollMs);
  const experiment = useCampaignExperiment(campaignId, live, pollMs);
  const rows = toRows(stats.data?.variants ?? [], stats.data?.totals, experiment.data);

  const liveBadge = live ? (
    <Badge status="processing" text={`Live · every ${pollMs / 1000} s`} />
  ) : (
    <Badge status="default" text="Not sending" />
  );

  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} xxl={16}>
        <Card title="Results per variant" extra={liveBadge}>
          <ProblemAlert error={stats.error ?? experiment.error} />
          <section aria-label="Per-variant results">
            <Table<ResultRow>
              rowKey="key"
              size="middle"
              columns={columns(experiment.data)}
              dataSource={rows}
              loading={stats.isLoading}
              pagination={false}
              scroll={{ x: "max-content" }}
              locale={{ emptyText: "No results yet" }}
            />
          </section>
          {experiment.data && (
            <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>
              Metric: {experiment.data.metric}; control: variant {experiment.data.control_key}. In brackets, the 95% credible
              interval of each rate; “chance to beat control” is the probability that the variant’s rate is higher than the control’s.
            </Typography.Paragraph>
          )}
        </Card>
      </Col>
      <Col xs={24} xxl={8}>
        <Card title="Funnel" style={{ height: "100%" }}>
          <ProblemAlert error={funnel.error} />
          <section aria-label="Funnel">{funnel.data && <FunnelChart steps={funnel.data.steps} />}</section>
        </Card>
      </Col>
    </Row>
  );
}
