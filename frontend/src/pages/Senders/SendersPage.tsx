/** The Telegram identities campaigns are sent from. Secrets are never shown, only whether one is stored. */
import { PlusOutlined, SendOutlined } from "@ant-design/icons";
import { Button, Card, Flex, Table, Tag, Typography } from "antd";
import type { TableProps } from "antd";
import { useState } from "react";

import { useSenders } from "../../api/directory";
import type { Sender } from "../../api/types";
import { formatDateTime } from "../../components/format";
import { ProblemAlert } from "../../components/ProblemAlert";
import { AddBotDrawer } from "./AddBotDrawer";
import { SendTestModal } from "./SendTestModal";

const STATUS_COLOR: Record<string, string> = { active: "success", paused: "warning", unhealthy: "error" };

function columns(onTest: (sender: Sender) => void): TableProps<Sender>["columns"] {
  return [
    {
      title: "Name",
      dataIndex: "name",
      render: (name: string, sender) => (
        <>
          {name}
          {sender.bot_username && <Typography.Text type="secondary"> @{sender.bot_username}</Typography.Text>}
        </>
      ),
    },
    { title: "Kind", dataIndex: "kind" },
    { title: "Transport", dataIndex: "transport" },
    { title: "Limits profile", dataIndex: "profile" },
    {
      title: "Double opt-in",
      dataIndex: "double_opt_in",
      render: (on: boolean | undefined) => (on ? <Tag color="success">on</Tag> : <Typography.Text type="secondary">off</Typography.Text>),
    },
    {
      title: "Status",
      dataIndex: "status",
      render: (status: string, sender) => (
        <>
          <Tag color={STATUS_COLOR[status] ?? "default"}>{status}</Tag>
          {sender.paused_until && <Typography.Text type="secondary">until {formatDateTime(sender.paused_until)}</Typography.Text>}
          {sender.status_reason && <Typography.Text type="secondary"> ({sender.status_reason})</Typography.Text>}
        </>
      ),
    },
    {
      title: "Secret",
      dataIndex: "has_secret",
      render: (stored: boolean) =>
        stored ? <Tag color="blue">stored, encrypted</Tag> : <Typography.Text type="secondary">none</Typography.Text>,
    },
    {
      title: "Actions",
      key: "actions",
      render: (_: unknown, sender) =>
        sender.kind === "bot" ? (
          <Button size="small" icon={<SendOutlined aria-hidden />} onClick={() => onTest(sender)} aria-label={`Send test message from ${sender.name}`}>
            Send test message
          </Button>
        ) : null,
    },
  ];
}

export default function SendersPage() {
  const senders = useSenders();
  const [adding, setAdding] = useState(false);
  const [testing, setTesting] = useState<Sender | null>(null);
  return (
    <>
      <Flex justify="space-between" align="center" style={{ marginBottom: 16 }}>
        <Typography.Title level={2} style={{ margin: 0 }}>
          Senders
        </Typography.Title>
        <Button type="primary" icon={<PlusOutlined aria-hidden />} onClick={() => setAdding(true)}>
          Add bot
        </Button>
      </Flex>
      <ProblemAlert error={senders.error} />
      <Card styles={{ body: { padding: 0 } }}>
        <Table<Sender>
          rowKey="id"
          columns={columns(setTesting)}
          dataSource={senders.data ?? []}
          loading={senders.isLoading}
          pagination={false}
          locale={{ emptyText: "No senders" }}
        />
      </Card>
      <AddBotDrawer open={adding} onClose={() => setAdding(false)} />
      <SendTestModal sender={testing} onClose={() => setTesting(null)} />
    </>
  );
}
