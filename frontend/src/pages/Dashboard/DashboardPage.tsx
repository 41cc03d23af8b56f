/** Home: campaigns in flight with progress and ETA, last results, each sender's day, opt-outs, open reviews. */
import { Card, Col, Progress, Row, Statistic, Table, Tag, Typography } from "antd";
import type { TableProps } from "antd";
import { Link } from "react-router";

import { useOverview } from "../../api/admin";
import type { Campaign, DeliveryCounts, SenderDay } from "../../api/types";
import { formatCount, formatDateTime, formatPercent } from "../../components/format";
import { ProblemAlert } from "../../components/ProblemAlert";
import { StatusTag } from "../../components/StatusTag";

const EMPTY: DeliveryCounts = { queued: 0, sending: 0, sent: 0, failed: 0, skipped: 0, dead: 0, in_doubt: 0 };

export function countsOf(campaign: Campaign): DeliveryCounts {
  return campaign.delivery_counts ?? EMPTY;
}

function handled(c: DeliveryCounts): number {
  return c.sent + c.failed + c.skipped + c.dead + c.in_doubt;
}

function total(c: DeliveryCounts): number {
  return handled(c) + c.queued + c.sending;
}

/** "about 3 min" at the sender's rate; the queue's waiting reasons (quiet hours) are said separately. */
export function formatDuration(seconds: number): string {
  if (seconds < 1) return "under a second";
  if (seconds < 90) return `about ${Math.round(seconds)} s`;
  if (seconds < 5400) return `about ${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `about ${(seconds / 3600).toFixed(1)} h`;
  return `about ${Math.round(seconds / 86_400)} days`;
}

function Eta({ campaign, rate }: { campaign: Campaign; rate: number | undefined }) {
  const counts = countsOf(campaign);
  const left = counts.queued + counts.sending;
  if (campaign.status === "scheduled") return <>starts {formatDateTime(campaign.start_at)}</>;
  if (campaign.status === "paused") return <>paused</>;
  if (left === 0) return <>finishing</>;
  const waiting = Object.values(counts.waiting_reasons ?? {}).reduce((a, b) => a + b, 0);
  // Messages held by send windows or quiet hours go when their window opens, not at the rate.
  const ready = Math.max(0, left - waiting);
  if (ready === 0) return <>{formatCount(waiting)} wait for their send window or quiet hours to end</>;
  const eta = rate ? formatDuration(ready / rate) : "—";
  return (
    <>
      {eta}
      {waiting > 0 && (
        <Typography.Text type="secondary"> · then {formatCount(waiting)} wait for their send window</Typography.Text>
      )}
    </>
  );
}

function senderColumns(): TableProps<SenderDay>["columns"] {
  return [
    { title: "Sender", dataIndex: "name" },
    {
      title: "Health",
      dataIndex: "status",
      render: (status: string, s) => (
        <Tag color={status === "active" ? "success" : status === "paused" ? "warning" : "error"}>
          {status}
          {s.status_reason ? `: ${s.status_reason}` : ""}
        </Tag>
      ),
    },
    {
      title: "Sent today",
      key: "today",
      render: (_, s) => (
        <div style={{ minWidth: 160 }}>
          <Progress
            percent={Math.min(100, (s.sent_today / Math.max(1, s.daily_capacity)) * 100)}
            showInfo={false}
            size="small"
            aria-label={`${s.name}: ${s.sent_today} sent today of at most ${s.daily_capacity} a day at its rate limit`}
          />
          <Typography.Text type="secondary">
            {formatCount(s.sent_today)} sent · rate limit {s.rate_per_s}/s, so at most {formatCount(s.daily_capacity)} a day
          </Typography.Text>
        </div>
      ),
    },
  ];
}

export default function DashboardPage() {
  const overview = useOverview();
  const data = overview.data;
  const rateOf = (senderId: number) => data?.senders.find((s) => s.sender_id === senderId)?.rate_per_s;

  const inFlightColumns: TableProps<Campaign>["columns"] = [
    { title: "Campaign", dataIndex: "name", render: (name: string, c) => <Link to={`/campaigns/${c.id}`}>{name}</Link> },
    { title: "Status", dataIndex: "status", render: (_, c) => <StatusTag status={c.status} /> },
    {
      title: "Progress",
      key: "progress",
      render: (_, c) => {
        const all = total(countsOf(c));
        const done = handled(countsOf(c));
        return (
          <div style={{ minWidth: 140 }}>
            <Progress
              percent={all ? Math.round((done / all) * 100) : 0}
              size="small"
              aria-label={`${c.name}: ${done} of ${all} handled`}
            />
            <Typography.Text type="secondary">
              {formatCount(done)} of {formatCount(all)}
            </Typography.Text>
          </div>
        );
      },
    },
    { title: "ETA", key: "eta", render: (_, c) => <Eta campaign={c} rate={rateOf(c.sender_id)} /> },
  ];

  const recentColumns: TableProps<Campaign>["columns"] = [
    { title: "Campaign", dataIndex: "name", render: (name: string, c) => <Link to={`/campaigns/${c.id}`}>{name}</Link> },
    { title: "Variants", key: "variants", align: "right", render: (_, c) => c.variants.length },
    { title: "Sent", key: "sent", align: "right", render: (_, c) => formatCount(countsOf(c).sent) },
    {
      title: "Skipped",
      key: "skipped",
      align: "right",
      render: (_, c) => formatCount(countsOf(c).skipped),
    },
    { title: "Finished", dataIndex: "completed_at", render: (iso: string | null) => formatDateTime(iso) },
  ];

  return (
    <>
      <Typography.Title level={2} style={{ marginTop: 0 }}>
        Dashboard
      </Typography.Title>
      <ProblemAlert error={overview.error} />
      <Row gutter={[16, 16]}>
        <Col xs={12} md={6}>
          <Card>
            <Link to="/reviews">
              <Statistic title="Open review items" value={data?.open_reviews ?? "—"} />
            </Link>
          </Card>
        </Col>
        <Col xs={12} md={6}>
          <Card>
            <Statistic title="Opt-outs today" value={data?.opt_outs_today ?? "—"} />
            <Typography.Text type="secondary">{formatCount(data?.opt_outs_7d)} in 7 days</Typography.Text>
          </Card>
        </Col>
        <Col xs={12} md={6}>
          <Card>
            <Statistic title="Contacts" value={data?.contacts ?? "—"} />
            <Typography.Text type="secondary">
              {formatCount(data?.consented)} consented (
              {formatPercent(data && data.contacts ? data.consented / data.contacts : null, 0)})
            </Typography.Text>
          </Card>
        </Col>
        <Col xs={12} md={6}>
          <Card>
            <Statistic title="In flight" value={data?.in_flight.length ?? "—"} />
            <Typography.Text type="secondary">running, paused or scheduled</Typography.Text>
          </Card>
        </Col>
        <Col xs={24}>
          <Card title="Campaigns in flight" styles={{ body: { padding: 0 } }}>
            <section aria-label="Campaigns in flight">
              <Table<Campaign>
                rowKey="id"
                size="small"
                columns={inFlightColumns}
                dataSource={data?.in_flight ?? []}
                loading={overview.isLoading}
                pagination={false}
                scroll={{ x: "max-content" }}
                locale={{ emptyText: "Nothing is sending right now." }}
              />
            </section>
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card title="Last results" styles={{ body: { padding: 0 } }}>
            <section aria-label="Last results">
              <Table<Campaign>
                rowKey="id"
                size="small"
                columns={recentColumns}
                dataSource={data?.recent ?? []}
                loading={overview.isLoading}
                pagination={false}
                scroll={{ x: "max-content" }}
                locale={{ emptyText: "No campaign has finished yet." }}
              />
            </section>
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card title="Senders today" styles={{ body: { padding: 0 } }}>
            <section aria-label="Senders today">
              <Table<SenderDay>
                rowKey="sender_id"
                size="small"
                columns={senderColumns()}
                dataSource={data?.senders ?? []}
                loading={overview.isLoading}
                pagination={false}
                scroll={{ x: "max-content" }}
                locale={{ emptyText: "No sender yet: add a bot on Senders." }}
              />
            </section>
          </Card>
        </Col>
      </Row>
    </>
  );
}
