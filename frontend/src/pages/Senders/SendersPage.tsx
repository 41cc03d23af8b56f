/** The Telegram identities campaigns are sent from. Secrets are never shown, only whether one is stored. */
import { Card, Table, Tag, Typography } from "antd";
import type { TableProps } from "antd";

import { useSenders } from "../../api/directory";
import type { Sender } from "../../api/types";
import { formatDateTime } from "../../components/format";
import { ProblemAlert } from "../../components/ProblemAlert";

const STATUS_COLOR: Record<string, string> = { active: "success", paused: "gold", unhealthy: "error" };

const columns: TableProps<Sender>["columns"] = [
  { title: "Name", dataIndex: "name" },
  { title: "Kind", dataIndex: "kind" },
  { title: "Transport", dataIndex: "transport" },
  { title: "Limits profile", dataIndex: "profile" },
  {
    title: "Status",
    dataIndex: "status",
    render: (status: string, sender) => (
      <>
        <Tag color={STATUS_COLOR[status] ?? "default"}>{status}</Tag>
        {sender.paused_until && <Typography.Text type="secondary">until {formatDateTime(sender.paused_until)}</Typography.Text>}
      </>
    ),
  },
  {
    title: "Secret",
    dataIndex: "has_secret",
    render: (stored: boolean) =>
      stored ? <Tag color="blue">stored, encrypted</Tag> : <Typography.Text type="secondary">none</Typography.Text>,
  },
];

export default function SendersPage() {
  const senders = useSenders();
  return (
    <>
      <Typography.Title level={2} style={{ marginTop: 0 }}>
        Senders
      </Typography.Title>
      <ProblemAlert error={senders.error} />
      <Card styles={{ body: { padding: 0 } }}>
        <Table<Sender>
          rowKey="id"
          columns={columns}
          dataSource={senders.data ?? []}
          loading={senders.isLoading}
          pagination={false}
          locale={{ emptyText: "No senders" }}
        />
      </Card>
    </>
  );
}
