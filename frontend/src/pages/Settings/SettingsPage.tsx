/**
 * Settings: who you are and what your role may do, your own password, the server's effective
 * configuration (each value and where it came from, secrets masked; admins only), and the API docs.
 */
import { Alert, App, Button, Card, Descriptions, Form, Input, Space, Table, Tag, Tooltip, Typography } from "antd";
import type { TableProps } from "antd";
import { useMemo, useState } from "react";

import { useMe } from "../../api/auth";
import type { EffectiveSetting } from "../../api/types";
import { useChangeOwnPassword, useEffectiveSettings } from "../../api/users";
import { usePermissions } from "../../auth/permissions";
import { ProblemAlert } from "../../components/ProblemAlert";

const SOURCE: Record<EffectiveSetting["source"], { label: string; color: string; help: string }> = {
  env: { label: "environment", color: "blue", help: "Set by an environment variable of the server process." },
  file: { label: ".env file", color: "purple", help: "Set in the .env file in the server's working directory." },
  startup: { label: "at start", color: "gold", help: "Given by the command that started the server." },
  default: { label: "default", color: "default", help: "Nobody set it: the built-in default." },
};

function ChangePassword() {
  const [form] = Form.useForm<{ current_password: string; new_password: string; repeat: string }>();
  const change = useChangeOwnPassword();
  const { message } = App.useApp();
  return (
    <Card title="Your password">
      <ProblemAlert error={change.error} />
      <Form
        form={form}
        layout="vertical"
        name="change-password"
        style={{ maxWidth: 420 }}
        onFinish={({ current_password, new_password }) =>
          change.mutate(
            { current_password, new_password },
            {
              onSuccess: () => {
                form.resetFields();
                void message.success("Password changed. Your other sessions are signed out.");
              },
            },
          )
        }
      >
        <Form.Item name="current_password" label="Current password" rules={[{ required: true, message: "Enter your current password" }]}>
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <Form.Item
          name="new_password"
          label="New password"
          rules={[
            { required: true, message: "Choose a new password" },
            { min: 10, message: "At least 10 characters" },
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item
          name="repeat"
          label="Repeat the new password"
          dependencies={["new_password"]}
          rules={[
            { required: true, message: "Repeat the new password" },
            ({ getFieldValue }) => ({
              validator: (_, value: string) =>
                !value || value === getFieldValue("new_password") ? Promise.resolve() : Promise.reject(new Error("The passwords differ")),
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={change.isPending}>
          Change password
        </Button>
      </Form>
    </Card>
  );
}

const columns: TableProps<EffectiveSetting>["columns"] = [
  {
    title: "Setting",
    dataIndex: "name",
    render: (_: string, s) => (
      <Space orientation="vertical" size={0}>
        <Typography.Text code>{s.env_var}</Typography.Text>
        {s.description && (
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {s.description}
          </Typography.Text>
        )}
      </Space>
    ),
  },
  {
    title: "Value",
    dataIndex: "value",
    render: (value: string | null, s) =>
      s.secret ? (
        <Tag color={value ? "green" : "default"} aria-label={value ? "secret, set (masked)" : "secret, not set"}>
          {value ? "set (hidden)" : "not set"}
        </Tag>
      ) : value === null ? (
        <Typography.Text type="secondary">not set</Typography.Text>
      ) : value === "" ? (
        <Typography.Text type="secondary">empty</Typography.Text>
      ) : (
        <Typography.Text style={{ wordBreak: "break-all" }}>{value}</Typography.Text>
      ),
  },
  {
    title: "Comes from",
    dataIndex: "source",
    render: (source: EffectiveSetting["source"]) => (
      <Tooltip title={SOURCE[source].help}>
        <Tag color={SOURCE[source].color}>{SOURCE[source].label}</Tag>
      </Tooltip>
    ),
  },
];

function EffectiveConfiguration() {
  const { can, reason, loaded } = usePermissions();
  const allowed = can("users:manage");
  const settings = useEffectiveSettings(allowed);
  const [filter, setFilter] = useState("");
  const shown = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    const rows = settings.data ?? [];
    return needle ? rows.filter((s) => `${s.env_var} ${s.value ?? ""} ${s.description ?? ""}`.toLowerCase().includes(needle)) : rows;
  }, [settings.data, filter]);
  const changed = (settings.data ?? []).filter((s) => s.source !== "default").length;
  return (
    <Card
      title="Effective configuration"
      extra={allowed && settings.data && <Typography.Text type="secondary">{changed} set, the rest default</Typography.Text>}
    >
      {loaded && !allowed ? (
        <Alert type="info" showIcon title={reason("users:manage")} />
      ) : (
        <Space orientation="vertical" size={12} style={{ width: "100%" }}>
          <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
            What this server runs with and where each value came from. Secrets show only whether they are set. Change them in
            the environment or the .env file and restart.
          </Typography.Paragraph>
          <Input.Search aria-label="Filter settings" placeholder="Filter (e.g. quiet, redis, review)" allowClear onChange={(e) => setFilter(e.target.value)} style={{ maxWidth: 360 }} />
          <ProblemAlert error={settings.error} />
          {/* Scrolls sideways on a narrow screen; focusable so a keyboard can scroll it too. */}
          <div tabIndex={0} style={{ overflowX: "auto" }}>
            <Table<EffectiveSetting>
              rowKey="name"
              size="small"
              columns={columns}
              dataSource={shown}
              loading={settings.isLoading}
              pagination={false}
              aria-label="Effective configuration"
            />
          </div>
        </Space>
      )}
    </Card>
  );
}

export default function SettingsPage() {
  const me = useMe();
  return (
    <Space orientation="vertical" size={16} style={{ width: "100%" }}>
      <Typography.Title level={2} style={{ margin: 0 }}>
        Settings
      </Typography.Title>
      <ProblemAlert error={me.error} />
      <Card title="Your account">
        <Descriptions
          size="small"
          column={1}
          items={[
            { key: "user", label: "Username", children: me.data?.username ?? "…" },
            { key: "role", label: "Role", children: me.data?.role ?? "…" },
            {
              key: "perms",
              label: "Your role may",
              children: (
                <Space size={4} wrap>
                  {(me.data?.permissions ?? []).map((p) => (
                    <Tag key={p}>{p}</Tag>
                  ))}
                </Space>
              ),
            },
          ]}
        />
      </Card>
      <ChangePassword />
      <EffectiveConfiguration />
      <Card title="API">
        <Typography.Paragraph style={{ margin: 0 }}>
          Interactive documentation at{" "}
          <a href="/docs" style={{ textDecoration: "underline" }}>
            /docs
          </a>{" "}
          and the reference at{" "}
          <a href="/redoc" style={{ textDecoration: "underline" }}>
            /redoc
          </a>
          , both served by
          this server (no internet needed).
        </Typography.Paragraph>
      </Card>
    </Space>
  );
}
