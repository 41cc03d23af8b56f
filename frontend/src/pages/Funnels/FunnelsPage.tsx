/**
 * Funnels: pick a campaign, the steps in order, a conversion window and, if wanted, a segment (only
 * its people now); see the people at each step with the conversion from the previous one and its 95%
 * interval, the same per variant and sender, the time to convert, and download who stopped where.
 */
import { DownloadOutlined } from "@ant-design/icons";
import { App, Button, Card, Col, Descriptions, Flex, Form, InputNumber, Progress, Row, Select, Space, Table, Typography } from "antd";
import { useState } from "react";
import { Link } from "react-router";

import { downloadDropoff, EVENT_TYPES, useFunnelBySender, useFunnelByVariant, type EventType, type Funnel } from "../../api/analytics";
import { useCampaigns } from "../../api/campaigns";
import { useSegments, useSenders } from "../../api/directory";
import { formatCount, formatPercent } from "../../components/format";
import { ProblemAlert } from "../../components/ProblemAlert";
import { RateText } from "../CampaignAnalytics/RateText";

const DEFAULT_STEPS: EventType[] = ["sent", "delivered", "clicked", "converted"];

function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

function FunnelChart({ funnel }: { funnel: Funnel }) {
  return (
    <Space orientation="vertical" size={12} style={{ width: "100%" }}>
      {funnel.steps.map((step, index) => (
        <div key={step.name}>
          <Flex justify="space-between" wrap gap={8}>
            <Typography.Text strong style={{ textTransform: "capitalize" }}>
              {index + 1}. {step.name}
            </Typography.Text>
            <span>
              <Typography.Text>{formatCount(step.count)} people</Typography.Text>
              {index > 0 && (
                <>
                  {" · "}
                  <RateText rate={step.rate_from_previous} /> of the previous step
                </>
              )}
            </span>
          </Flex>
          <Progress
            percent={Math.round(step.conversion_from_start * 1000) / 10}
            showInfo={false}
            aria-label={`${step.name}: ${formatPercent(step.conversion_from_start)} of the first step`}
          />
        </div>
      ))}
    </Space>
  );
}

export default function FunnelsPage() {
  const { message } = App.useApp();
  const campaigns = useCampaigns({ limit: 100, offset: 0, sort: "-created_at" });
  const [campaignId, setCampaignId] = useState<number | undefined>(undefined);
  const [steps, setSteps] = useState<EventType[]>(DEFAULT_STEPS);
  const [windowDays, setWindowDays] = useState<number | null>(7);
  const [segmentId, setSegmentId] = useState<number | undefined>(undefined);
  const funnel = useFunnelByVariant(campaignId, steps, windowDays, segmentId);
  const bySender = useFunnelBySender(campaignId, steps, windowDays, segmentId);
  const segments = useSegments();
  const segmentName = (segments.data?.items ?? []).find((s: { id: number; name: string }) => s.id === segmentId)?.name;
  const senders = useSenders();
  const senderName = (id: number | null | undefined) =>
    (senders.data ?? []).find((s: { id: number; name: string }) => s.id === id)?.name ?? `Sender ${id}`;
  const data = funnel.data;
  const ttc = data?.overall.time_to_convert;

  const stepColumns = steps.map((step, index) => ({
      title: step,
      key: step,
      align: "right" as const,
      render: (_: unknown, f: Funnel) => {
        const s = f.steps[index];
        if (!s) return "—";
        return index === 0 ? (
          formatCount(s.count)
        ) : (
          <span>
            {formatCount(s.count)} · <RateText rate={s.rate_from_previous} />
          </span>
        );
      },
    }));
  const variantColumns = [{ title: "Variant", key: "variant", render: (_: unknown, f: Funnel) => `Variant ${f.variant_key}` }, ...stepColumns];
  const senderColumns = [{ title: "Sender", key: "sender", render: (_: unknown, f: Funnel) => senderName(f.sender_id) }, ...stepColumns];

  return (
    <Space orientation="vertical" size={16} style={{ width: "100%" }}>
      <Typography.Title level={2} style={{ margin: 0 }}>
        Funnels
      </Typography.Title>
      <Card title="Build a funnel">
        <Form layout="vertical">
          <Row gutter={16}>
            <Col xs={24} md={6}>
              <Form.Item label="Campaign" htmlFor="funnel-campaign">
                <Select
                  id="funnel-campaign"
                  showSearch
                  optionFilterProp="label"
                  placeholder="Choose a campaign"
                  loading={campaigns.isLoading}
                  value={campaignId}
                  onChange={setCampaignId}
                  options={(campaigns.data?.items ?? []).map((c) => ({ value: c.id, label: c.name }))}
                />
              </Form.Item>
            </Col>
            <Col xs={24} md={6}>
              <Form.Item label="Segment" htmlFor="funnel-segment" help="Only the people in it now; empty: everyone.">
                <Select
                  id="funnel-segment"
                  allowClear
                  showSearch
                  optionFilterProp="label"
                  placeholder="Everyone"
                  loading={segments.isLoading}
                  value={segmentId}
                  onChange={(value?: number) => setSegmentId(value ?? undefined)}
                  options={(segments.data?.items ?? []).map((s: { id: number; name: string }) => ({ value: s.id, label: s.name }))}
                />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item label="Steps, in order" htmlFor="funnel-steps" help="A person counts at a step only after the previous one.">
                <Select
                  id="funnel-steps"
                  mode="multiple"
                  value={steps}
                  onChange={(value: EventType[]) => setSteps(value)}
                  options={EVENT_TYPES.map((t) => ({ value: t, label: t }))}
                />
              </Form.Item>
            </Col>
            <Col xs={24} md={4}>
              <Form.Item
                label="Conversion window (days)"
                htmlFor="funnel-window"
                help="From each person's first step; empty: no window."
              >
                <InputNumber id="funnel-window" min={0.01} max={365} value={windowDays} onChange={setWindowDays} style={{ width: "100%" }} />
              </Form.Item>
            </Col>
          </Row>
        </Form>
      </Card>
      <ProblemAlert error={funnel.error} />
      {data && campaignId !== undefined && (
        <Row gutter={[16, 16]}>
          <Col xs={24} xl={14}>
            <Card
              title={segmentName ? `Conversion per step: ${segmentName}` : "Conversion per step"}
              extra={
                <Space>
                  <Link to={`/campaigns/${campaignId}/analytics`}>Campaign analytics</Link>
                  <Button
                    icon={<DownloadOutlined aria-hidden />}
                    onClick={() =>
                      downloadDropoff(campaignId, steps, windowDays, segmentId).catch((error: Error) => void message.error(error.message))
                    }
                  >
                    Drop-off CSV
                  </Button>
                </Space>
              }
            >
              <section aria-label="Funnel chart">
                <FunnelChart funnel={data.overall} />
              </section>
              <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>
                Counts are distinct people{segmentName ? ` in the segment ${segmentName} as it is now` : ""}. In brackets, the 95% interval (Wilson) of the conversion from the previous step.
                {data.overall.window_days ? ` Every step within ${data.overall.window_days} days of the person's first step.` : " No window."}
              </Typography.Paragraph>
            </Card>
          </Col>
          <Col xs={24} xl={10}>
            <Card title="Time to convert">
              <section aria-label="Time to convert">
                <Descriptions
                  size="small"
                  column={2}
                  items={[
                    { key: "people", label: "Converted", children: formatCount(ttc?.people) },
                    { key: "median", label: "Median", children: duration(ttc?.median_s) },
                    { key: "p25", label: "25th percentile", children: duration(ttc?.p25_s) },
                    { key: "p75", label: "75th percentile", children: duration(ttc?.p75_s) },
                    { key: "p90", label: "90th percentile", children: duration(ttc?.p90_s) },
                  ]}
                />
                <Table
                  size="small"
                  rowKey="label"
                  pagination={false}
                  dataSource={ttc?.buckets ?? []}
                  columns={[
                    { title: "From first to last step", dataIndex: "label", key: "label" },
                    { title: "People", dataIndex: "people", key: "people", align: "right", render: (n: number) => formatCount(n) },
                  ]}
                />
              </section>
            </Card>
          </Col>
          <Col span={24}>
            <Card title="By variant">
              <section aria-label="Funnel by variant">
                <Table<Funnel>
                  rowKey={(f) => f.variant_key ?? "none"}
                  size="middle"
                  pagination={false}
                  scroll={{ x: "max-content" }}
                  columns={variantColumns}
                  dataSource={data.variants}
                  locale={{ emptyText: "No variants yet" }}
                />
              </section>
            </Card>
          </Col>
          <Col span={24}>
            <Card title="By sender">
              <section aria-label="Funnel by sender">
                <ProblemAlert error={bySender.error} />
                <Table<Funnel>
                  rowKey={(f) => String(f.sender_id)}
                  size="middle"
                  pagination={false}
                  loading={bySender.isLoading}
                  scroll={{ x: "max-content" }}
                  columns={senderColumns}
                  dataSource={bySender.data?.senders ?? []}
                  locale={{ emptyText: "No sends recorded with their sender yet" }}
                />
                <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>
                  A person counts under the first sender that sent them this campaign.
                </Typography.Paragraph>
              </section>
            </Card>
          </Col>
        </Row>
      )}
    </Space>
  );
}
