import { InfoCircleOutlined } from "@ant-design/icons";
import { Card, Col, Descriptions, Progress, Row, Space, Statistic, Tag, Tooltip } from "antd";
import type { ReactNode } from "react";

import type { DeliveryCounts } from "../../api/types";
import { RedriveButton } from "./RedriveButton";

type CountKey = "queued" | "sending" | "sent" | "failed" | "skipped" | "dead" | "in_doubt";

export const IN_DOUBT_HELP = "A bot message whose fate is unknown after a crash; never resent unless you re-drive it.";

const ORDER: { key: CountKey; label: string; help?: string }[] = [
  { key: "queued", label: "Queued" },
  { key: "sending", label: "Sending" },
  { key: "sent", label: "Sent" },
  { key: "failed", label: "Failed" },
  { key: "skipped", label: "Skipped" },
  { key: "dead", label: "Dead", help: "Dead letters: deliveries that failed for good after their retries. Re-drive queues them again." },
  { key: "in_doubt", label: "In doubt", help: IN_DOUBT_HELP },
];

function Label({ label, help }: { label: string; help?: string }): ReactNode {
  if (!help) return label;
  return (
    <Tooltip title={help}>
      <span tabIndex={0} aria-label={`${label}: ${help}`}>
        {label} <InfoCircleOutlined aria-hidden />
      </span>
    </Tooltip>
  );
}

function Reasons({ reasons }: { reasons: Record<string, number> | undefined }) {
  const entries = Object.entries(reasons ?? {}).filter(([, n]) => n > 0);
  if (entries.length === 0) return null;
  return (
    <Space size={[4, 4]} wrap>
      {entries.map(([reason, n]) => (
        <Tag key={reason}>
          {reason.replaceAll("_", " ")}: {n}
        </Tag>
      ))}
    </Space>
  );
}

export function DeliveryCard({ campaignId, counts }: { campaignId: number; counts: DeliveryCounts }) {
  const total = ORDER.reduce((sum, { key }) => sum + counts[key], 0);
  const done = counts.sent + counts.failed + counts.skipped + counts.dead;
  const parked = counts.dead + counts.in_doubt;
  const hasSkipped = Object.values(counts.skipped_reasons ?? {}).some((n) => n > 0);
  const hasWaiting = Object.values(counts.waiting_reasons ?? {}).some((n) => n > 0);
  return (
    <Card title="Delivery" extra={parked > 0 ? <RedriveButton campaignId={campaignId} dead={counts.dead} inDoubt={counts.in_doubt} /> : null}>
      <section aria-label="Delivery counts">
        <Row gutter={[16, 16]}>
          {ORDER.map(({ key, label, help }) => (
            <Col key={key} xs={12} sm={8} md={6} xl={3}>
              <Statistic
                title={<Label label={label} help={help} />}
                value={counts[key]}
                styles={counts[key] > 0 && (key === "dead" || key === "in_doubt") ? { content: { color: "#cf1322" } } : undefined}
              />
            </Col>
          ))}
          <Col xs={12} sm={8} md={6} xl={3}>
            <Statistic title="Recipients" value={total} />
          </Col>
        </Row>
        <Progress
          percent={total > 0 ? Math.round((done / total) * 1000) / 10 : 0}
          success={{ percent: total > 0 ? Math.round((counts.sent / total) * 1000) / 10 : 0 }}
          aria-label="Share of recipients handled"
          style={{ marginTop: 16, marginBottom: 0 }}
        />
        {(hasSkipped || hasWaiting) && (
          <Descriptions
            size="small"
            column={1}
            style={{ marginTop: 16 }}
            items={[
              ...(hasSkipped ? [{ key: "skipped", label: "Skipped because", children: <Reasons reasons={counts.skipped_reasons} /> }] : []),
              ...(hasWaiting ? [{ key: "waiting", label: "Waiting because", children: <Reasons reasons={counts.waiting_reasons} /> }] : []),
            ]}
          />
        )}
      </section>
    </Card>
  );
}
