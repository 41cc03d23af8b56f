/** The user's API keys: create (the key is shown once), list, revoke. */
import { Alert, App, Button, Card, Flex, Form, Input, Popconfirm, Table, Tag, Typography } from "antd";
import type { TableProps } from "antd";

import { useApiKeys, useCreateApiKey, useRevokeApiKey } from "../../api/admin";
import type { ApiKey } from "../../api/types";
import { formatDateTime } from "../../components/format";
import { ProblemAlert } from "../../components/ProblemAlert";
import { useNotifyProblem } from "../../components/useNotifyProblem";

export default function ApiKeysPage() {
  const keysQuery = useApiKeys();
  const create = useCreateApiKey();
  const revoke = useRevokeApiKey();
  const [form] = Form.useForm<{ name: string }>();
  const { message } = App.useApp();
  const notifyProblem = useNotifyProblem();

  const columns: TableProps<ApiKey>["columns"] = [
    { title: "Name", dataIndex: "name" },
    { title: "Key", dataIndex: "prefix", render: (p: string) => <Typography.Text code>{p}…</Typography.Text> },
    { title: "Created", dataIndex: "created_at", render: (iso: string) => formatDateTime(iso) },
    { title: "Last used", dataIndex: "last_used_at", render: (iso: string | null) => formatDateTime(iso) },
    {
      title: "State",
      key: "state",
      render: (_, k) => (k.revoked_at ? <Tag color="error">revoked {formatDateTime(k.revoked_at)}</Tag> : <Tag color="success">active</Tag>),
    },
    {
      title: "Actions",
      key: "actions",
      render: (_, k) =>
        k.revoked_at ? null : (
          <Popconfirm
            title={`Revoke “${k.name}”?`}
            description="Programs using it stop working at once."
            okText="Revoke"
            okButtonProps={{ danger: true }}
            onConfirm={() => revoke.mutate(k.id, { onSuccess: () => void message.success("Revoked"), onError: notifyProblem })}
          >
            <Button size="small" danger aria-label={`Revoke ${k.name}`}>
              Revoke
            </Button>
          </Popconfirm>
        ),
    },
  ];

  return (
    <>
      <Typography.Title level={2} style={{ marginTop: 0 }}>
        API keys
      </Typography.Title>
      <Typography.Paragraph type="secondary">
        A key acts with your role. Send it as <Typography.Text code>X-API-Key</Typography.Text>; the API is described at{" "}
        <a href="/docs" style={{ textDecoration: "underline" }}>
          /docs
        </a>
        .
      </Typography.Paragraph>
      <Card style={{ marginBottom: 16 }}>
        <Form
          form={form}
          layout="inline"
          onFinish={({ name }) => create.mutate(name, { onSuccess: () => form.resetFields() })}
        >
          <Form.Item name="name" label="Key name" rules={[{ required: true, message: "Name the key" }]}>
            <Input maxLength={128} placeholder="e.g. CRM sync" />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={create.isPending}>
            Create key
          </Button>
        </Form>
        <ProblemAlert error={create.error} />
        {create.data && (
          <Alert
            style={{ marginTop: 16 }}
            type="success"
            showIcon
            title="Copy the key now: it is shown only once."
            description={
              <Flex vertical gap={4}>
                <Typography.Text code copyable aria-label="New API key">
                  {create.data.key}
                </Typography.Text>
              </Flex>
            }
          />
        )}
      </Card>
      <ProblemAlert error={keysQuery.error} />
      <Card styles={{ body: { padding: 0 } }}>
        <Table<ApiKey>
          rowKey="id"
          columns={columns}
          dataSource={keysQuery.data ?? []}
          loading={keysQuery.isLoading}
          pagination={false}
          scroll={{ x: "max-content" }}
          locale={{ emptyText: "No API keys yet." }}
        />
      </Card>
    </>
  );
}
