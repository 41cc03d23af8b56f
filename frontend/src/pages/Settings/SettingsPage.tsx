/** Settings: who you are and what your role may do (from the server), and where the API is documented. */
import { Card, Descriptions, Space, Tag, Typography } from "antd";

import { useMe } from "../../api/auth";
import { ProblemAlert } from "../../components/ProblemAlert";

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
      <Card title="API">
        <Typography.Paragraph style={{ margin: 0 }}>
          Interactive documentation at <a href="/docs">/docs</a> and the reference at <a href="/redoc">/redoc</a>, both served by
          this server (no internet needed).
        </Typography.Paragraph>
      </Card>
    </Space>
  );
}
