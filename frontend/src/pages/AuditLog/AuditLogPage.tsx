/** The hash-chained audit log: filter by entity, paged, and verify the chain from the browser. */
import { SafetyCertificateOutlined } from "@ant-design/icons";
import { Alert, Card, Flex, Input, Table, Typography } from "antd";
import type { TableProps } from "antd";

import { useAudit, useVerifyAudit } from "../../api/admin";
import type { AuditEntry } from "../../api/types";
import { formatDateTime } from "../../components/format";
import { PermittedButton } from "../../components/Permitted";
import { ProblemAlert } from "../../components/ProblemAlert";
import { useUrlTable } from "../../components/useUrlState";
import { usePermissions } from "../../auth/permissions";

const columns: TableProps<AuditEntry>["columns"] = [
  { title: "#", dataIndex: "seq" },
  { title: "When", dataIndex: "occurred_at", render: (iso: string) => formatDateTime(iso) },
  { title: "Actor", dataIndex: "actor" },
  { title: "Action", dataIndex: "action", render: (a: string) => <Typography.Text code>{a}</Typography.Text> },
  { title: "Entity", key: "entity", render: (_, e) => `${e.entity_type} ${e.entity_id}` },
  {
    title: "Data",
    dataIndex: "data",
    render: (data: Record<string, unknown>) => (
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {JSON.stringify(data)}
      </Typography.Text>
    ),
  },
];

export default function AuditLogPage() {
  const table = useUrlTable(50);
  const { can, reason } = usePermissions();
  const allowed = can("compliance:read");
  const entityType = table.get("entity_type");
  const entityId = table.get("entity_id");
  const audit = useAudit({ limit: table.pageSize, offset: table.offset, entity_type: entityType, entity_id: entityId });
  const verify = useVerifyAudit();

  return (
    <>
      <Flex justify="space-between" align="center" gap={12} wrap style={{ marginBottom: 16 }}>
        <Typography.Title level={2} style={{ margin: 0 }}>
          Audit log
        </Typography.Title>
        <PermittedButton
          permission="compliance:read"
          icon={<SafetyCertificateOutlined aria-hidden />}
          loading={verify.isPending}
          onClick={() => verify.mutate()}
        >
          Verify the chain
        </PermittedButton>
      </Flex>
      {!allowed && <Alert type="info" showIcon title={reason("compliance:read")} style={{ marginBottom: 16 }} />}
      {verify.data && (
        <Alert
          role="status"
          style={{ marginBottom: 16 }}
          type={verify.data.ok ? "success" : "error"}
          showIcon
          title={
            verify.data.ok
              ? `The chain is intact: ${verify.data.checked} entries checked.`
              : `The chain is broken at entry ${verify.data.first_bad_seq}: ${verify.data.reason}`
          }
        />
      )}
      <ProblemAlert error={verify.error} />
      <Flex gap={12} wrap style={{ marginBottom: 16 }}>
        <Input
          aria-label="Entity type"
          placeholder="Entity type (campaign, consent, …)"
          defaultValue={entityType}
          allowClear
          style={{ width: 240 }}
          onPressEnter={(e) => table.set({ entity_type: e.currentTarget.value.trim() || undefined })}
          onBlur={(e) => table.set({ entity_type: e.currentTarget.value.trim() || undefined })}
        />
        <Input
          aria-label="Entity id"
          placeholder="Entity id"
          defaultValue={entityId}
          allowClear
          style={{ width: 160 }}
          onPressEnter={(e) => table.set({ entity_id: e.currentTarget.value.trim() || undefined })}
          onBlur={(e) => table.set({ entity_id: e.currentTarget.value.trim() || undefined })}
        />
      </Flex>
      {allowed && <ProblemAlert error={audit.error} />}
      <Card styles={{ body: { padding: 0 } }}>
        <Table<AuditEntry>
          rowKey="seq"
          size="small"
          columns={columns}
          dataSource={allowed ? (audit.data?.items ?? []) : []}
          loading={allowed && audit.isLoading}
          scroll={{ x: "max-content" }}
          pagination={{
            current: table.page,
            pageSize: table.pageSize,
            total: audit.data?.total ?? 0,
            showSizeChanger: false,
            onChange: (page) => table.set({ page, entity_type: entityType, entity_id: entityId }),
          }}
        />
      </Card>
    </>
  );
}
