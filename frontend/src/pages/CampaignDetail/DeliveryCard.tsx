import { Card, Col, Progress, Row, Statistic } from "antd";

import type { DeliveryCounts } from "../../api/types";

const ORDER: { key: keyof DeliveryCounts; label: string }[] = [
  { key: "queued", label: "Queued" },
  { key: "sending", label: "Sending" },
  { key: "sent", label: "Sent" },
  { key: "failed", label: "Failed" },
  { key: "skipped", label: "Skipped" },
];

export function DeliveryCard({ counts }: { counts: DeliveryCounts }) {
  const total = ORDER.reduce((sum, { key }) => sum + counts[key], 0);
  const done = counts.sent + counts.failed + counts.skipped;
  return (
    <Card title="Delivery">
      <section aria-label="Delivery counts">
        <Row gutter={[16, 16]}>
          {ORDER.map(({ key, label }) => (
            <Col key={key} xs={12} sm={8} md={4}>
              <Statistic title={label} value={counts[key]} />
            </Col>
          ))}
          <Col xs={24} md={4}>
            <Statistic title="Recipients" value={total} />
          </Col>
        </Row>
        <Progress
          percent={total > 0 ? Math.round((done / total) * 1000) / 10 : 0}
          success={{ percent: total > 0 ? Math.round((counts.sent / total) * 1000) / 10 : 0 }}
          aria-label="Share of recipients handled"
          style={{ marginTop: 16, marginBottom: 0 }}
        />
      </section>
    </Card>
  );
}
