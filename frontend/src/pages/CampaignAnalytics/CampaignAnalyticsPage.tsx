/**
 * One campaign's analytics: live counts pushed by the server while it sends (no polling), the ROI
 * with its costs (enter your own), and the results broken down by variant, send day, language,
 * time zone or an attribute, each rate with its 95% interval. Signals the sender cannot observe
 * (a bot sees no reads) show as unknown, never as zero.
 */
import { ArrowLeftOutlined, DeleteOutlined } from "@ant-design/icons";
import { App, Badge, Button, Card, Col, Descriptions, Flex, Form, Input, InputNumber, Row, Select, Space, Statistic, Table, Tooltip, Typography } from "antd";
import { useState } from "react";
import { Link, useParams } from "react-router";

import {
  useAddCost,
  useBreakdown,
  useDeleteCost,
  useLiveCounts,
  useRoi,
  type BreakdownRow,
  type CampaignRoi,
  type CampaignStats,
  type CostCreate,
  type Dimension,
  type LiveState,
} from "../../api/analytics";
import { useCampaign } from "../../api/campaigns";
import { usePermissions } from "../../auth/permissions";
import { formatCount, formatUsdMicros } from "../../components/format";
import { ProblemAlert } from "../../components/ProblemAlert";
import { RateText } from "./RateText";

const LIVE_LABEL: Record<LiveState, { status: "processing" | "default" | "warning"; text: string }> = {
  connecting: { status: "default", text: "Connecting…" },
  live: { status: "processing", text: "Live" },
  reconnecting: { status: "warning", text: "Reconnecting…" },
  ended: { status: "default", text: "Sending ended: final counts" },
};

const SIGNALS = ["sent", "delivered", "read", "clicked", "replied", "converted", "unsubscribed"] as const;

function unknown(reason: string | undefined) {
  return (
    <Tooltip title={reason}>
      <Typography.Text type="secondary">unknown</Typography.Text>
    </Tooltip>
  );
}

function LiveCounts({ stats, state }: { stats: CampaignStats | undefined; state: LiveState }) {
  const label = LIVE_LABEL[state];
  const totals = stats?.totals;
  return (
    <Card title="Live counts" extra={<Badge status={label.status} text={label.text} />}>
      <section aria-label="Live counts" aria-live="polite">
        <Flex wrap gap={24}>
          {SIGNALS.map((signal) => {
            const value = totals?.[signal];
            const hidden = stats?.observable && stats.observable[signal] === false;
            return (
              <Statistic
                key={signal}
                title={<span style={{ textTransform: "capitalize" }}>{signal}</span>}
                value={hidden ? undefined : formatCount(value ?? 0)}
                formatter={hidden ? () => unknown(stats?.unobservable_reasons?.[signal]) : undefined}
              />
            );
          })}
        </Flex>
        {stats?.unobservable_reasons?.read && (
          <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>
            {stats.unobservable_reasons.read}
          </Typography.Paragraph>
        )}
      </section>
    </Card>
  );
}

function RoiCard({ campaignId, roi }: { campaignId: number; roi: CampaignRoi | undefined }) {
  const { message } = App.useApp();
  const { can } = usePermissions();
  const add = useAddCost(campaignId);
  const remove = useDeleteCost(campaignId);
  const [form] = Form.useForm<CostCreate>();
  const totals = roi?.totals;
  const canWrite = can("analytics:write");

  return (
    <Card title="Return on investment">
      <section aria-label="ROI">
        <Row gutter={[16, 16]}>
          <Col xs={12} md={6}>
            <Statistic title="Revenue" value={formatUsdMicros(totals?.revenue_usd_micros)} />
          </Col>
          <Col xs={12} md={6}>
            <Statistic title="Cost" value={formatUsdMicros(totals?.cost_usd_micros)} />
          </Col>
          <Col xs={12} md={6}>
            <Statistic
              title="ROI"
              value={totals?.roi === null || totals?.roi === undefined ? "no costs yet" : `${(totals.roi * 100).toFixed(0)}%`}
            />
          </Col>
          <Col xs={12} md={6}>
            <Statistic title="Cost per conversion" value={formatUsdMicros(totals?.cost_per_conversion_usd_micros)} />
          </Col>
        </Row>
        <Table
          style={{ marginTop: 16 }}
          size="small"
          rowKey={(c) => `${c.kind}-${c.id ?? c.variant_key ?? "all"}-${c.description}`}
          pagination={false}
          dataSource={roi?.costs ?? []}
          locale={{ emptyText: "No costs yet" }}
          columns={[
            { title: "Cost", dataIndex: "description", key: "description" },
            { title: "Kind", dataIndex: "kind", key: "kind", render: (kind: string, c) => (c.estimated ? `${kind} (estimate)` : kind) },
            { title: "Variant", dataIndex: "variant_key", key: "variant", render: (v: string | null) => v ?? "whole campaign" },
            { title: "Amount", dataIndex: "amount_usd_micros", key: "amount", align: "right", render: (m: number) => formatUsdMicros(m) },
            {
              title: "",
              key: "actions",
              render: (_, c) =>
                c.id !== null && c.id !== undefined && canWrite ? (
                  <Button
                    size="small"
                    icon={<DeleteOutlined aria-hidden />}
                    aria-label={`Delete cost ${c.description}`}
                    onClick={() => remove.mutate(c.id as number)}
                  />
                ) : null,
            },
          ]}
        />
        <Table
          style={{ marginTop: 16 }}
          size="small"
          rowKey={(v) => v.variant_key ?? "none"}
          pagination={false}
          dataSource={roi?.variants ?? []}
          columns={[
            { title: "Variant", dataIndex: "variant_key", key: "variant", render: (v: string | null) => (v ? `Variant ${v}` : "No variant") },
            { title: "Revenue", dataIndex: "revenue_usd_micros", key: "revenue", align: "right", render: (m: number) => formatUsdMicros(m) },
            { title: "Cost", dataIndex: "cost_usd_micros", key: "cost", align: "right", render: (m: number) => formatUsdMicros(m) },
            {
              title: "ROI",
              dataIndex: "roi",
              key: "roi",
              align: "right",
              render: (r: number | null) => (r === null ? "—" : `${(r * 100).toFixed(0)}%`),
            },
            { title: "Conversion (95% CI)", key: "rate", align: "right", render: (_, v) => <RateText rate={v.conversion_rate} /> },
          ]}
        />
        <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>
          {roi?.allocation}
        </Typography.Paragraph>
        {canWrite && (
          <Form
            form={form}
            layout="inline"
            aria-label="Add a cost"
            onFinish={(values) =>
              add.mutate(
                { ...values, variant_key: values.variant_key || null },
                {
                  onSuccess: () => {
                    form.resetFields();
                    void message.success("Cost added");
                  },
                  onError: (error) => void message.error(error.message),
                },
              )
            }
          >
            <Form.Item name="description" label="Cost" rules={[{ required: true, message: "Say what it was" }]}>
              <Input placeholder="e.g. Banner design" />
            </Form.Item>
            <Form.Item name="amount_usd" label="Amount (USD)" rules={[{ required: true, message: "Enter the amount" }]}>
              <InputNumber min={0.01} max={1e9} />
            </Form.Item>
            <Form.Item name="variant_key" label="Variant (optional)">
              <Input style={{ width: 80 }} />
            </Form.Item>
            <Form.Item>
              <Button type="primary" htmlType="submit" loading={add.isPending}>
                Add cost
              </Button>
            </Form.Item>
          </Form>
        )}
      </section>
    </Card>
  );
}

const DIMENSIONS: { value: Dimension; label: string }[] = [
  { value: "variant", label: "Variant" },
  { value: "day", label: "Send day (UTC)" },
  { value: "language", label: "Language" },
  { value: "timezone", label: "Time zone" },
  { value: "attribute", label: "Attribute" },
];

function BreakdownCard({ campaignId }: { campaignId: number }) {
  const [by, setBy] = useState<Dimension>("variant");
  const [attribute, setAttribute] = useState<string>("");
  const breakdown = useBreakdown(campaignId, by, by === "attribute" ? attribute : undefined);
  const reasons = breakdown.data?.unobservable_reasons ?? {};
  return (
    <Card
      title="Breakdown"
      extra={
        <Space wrap>
          <label htmlFor="breakdown-by">Break down by</label>
          <Select id="breakdown-by" value={by} onChange={setBy} options={DIMENSIONS} style={{ width: 170 }} />
          {by === "attribute" && (
            <Input aria-label="Attribute name" placeholder="attribute, e.g. city" value={attribute} onChange={(e) => setAttribute(e.target.value)} />
          )}
        </Space>
      }
    >
      <ProblemAlert error={breakdown.error} />
      <section aria-label="Breakdown">
        <Table<BreakdownRow>
          rowKey="key"
          size="middle"
          loading={breakdown.isLoading && breakdown.fetchStatus !== "idle"}
          pagination={false}
          scroll={{ x: "max-content" }}
          dataSource={breakdown.data?.rows ?? []}
          locale={{ emptyText: "No results yet" }}
          columns={[
            { title: DIMENSIONS.find((d) => d.value === by)?.label, dataIndex: "key", key: "key" },
            { title: "Sent", dataIndex: "sent", key: "sent", align: "right", render: (n: number) => formatCount(n) },
            { title: "Delivered", dataIndex: "delivered", key: "delivered", align: "right", render: (n: number) => formatCount(n) },
            {
              title: "Read",
              dataIndex: "read",
              key: "read",
              align: "right",
              render: (n: number | null) => (n === null ? unknown(reasons.read) : formatCount(n)),
            },
            { title: "Clicked", dataIndex: "clicked", key: "clicked", align: "right", render: (n: number) => formatCount(n) },
            { title: "Converted", dataIndex: "converted", key: "converted", align: "right", render: (n: number) => formatCount(n) },
            { title: "Click rate (95% CI)", key: "click", align: "right", render: (_, r) => <RateText rate={r.click_rate} /> },
            { title: "Conversion (95% CI)", key: "conv", align: "right", render: (_, r) => <RateText rate={r.conversion_rate} /> },
            { title: "Revenue", dataIndex: "revenue_usd_micros", key: "revenue", align: "right", render: (m: number) => formatUsdMicros(m) },
          ]}
        />
      </section>
    </Card>
  );
}

export default function CampaignAnalyticsPage() {
  const id = Number(useParams().id);
  const campaign = useCampaign(id);
  const live = useLiveCounts(id);
  const roi = useRoi(id);
  return (
    <Space orientation="vertical" size={16} style={{ width: "100%" }}>
      <Link to={`/campaigns/${id}`}>
        <ArrowLeftOutlined aria-hidden /> Campaign
      </Link>
      <Typography.Title level={2} style={{ margin: 0 }}>
        Analytics: {campaign.data?.name ?? `campaign ${id}`}
      </Typography.Title>
      <ProblemAlert error={campaign.error ?? roi.error} />
      <Descriptions
        size="small"
        items={[{ key: "funnel", label: "Funnel", children: <Link to="/funnels">Build a funnel for this campaign</Link> }]}
      />
      <LiveCounts stats={live.stats} state={live.state} />
      <RoiCard campaignId={id} roi={roi.data} />
      <BreakdownCard campaignId={id} />
    </Space>
  );
}
