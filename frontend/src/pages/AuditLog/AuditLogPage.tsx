/** The hash-chained audit log: search it, filter by actor, action and entity, paged, and verify the chain from the browser. */
import { SafetyCertificateOutlined } from "@ant-design/icons";
import { Alert, Button, Card, Flex, Input, Table, Typography } from "antd";
import type { TableProps } from "antd";

import { useAudit, useVerifyAudit } from "../../api/admin";
import type { AuditEntry } from "../../api/types";
import { formatDateTime } from "../../components/format";
import { PermittedButton } from "../../components/Permitted";
import { ProblemAlert } from "../../components/ProblemAlert";
import { SearchBox } from "../../components/SearchBox";
import { useUrlTable } from "../../components/useUrlState";
import { usePermissions } from "../../auth/permissions";

const FILTERS = ["actor", "action", "entity_type", "entity_id"] as const;
type Filter = (typeof FILTERS)[number];

const columnsFor = (only: (filter: Filter, value: string) => void): TableProps<AuditEntry>["columns"] => [
  { title: "#", dataIndex: "seq" },
  { title: "When", dataIndex: "occurred_at", render: (iso: string) => formatDateTime(iso) },
  {
    title: "Actor",
    dataIndex: "actor",
    render: (actor: string) => (
      <Button type="link" size="small" style={{ padding: 0 }} onClick={() => only("actor", actor)} aria-label={`Show only ${actor}`}>
        {actor}
      </Button>
    ),
  },
  {
    title: "Action",
    dataIndex: "action",
    render: (a: string) => (
      <Button type="link" size="small" style={{ padding: 0 }} onClick={() => only("action", a)} aria-label={`Show only ${a}`}>
        <Typography.Text code>{a}</Typography.Text>
      </Button>
    ),
  },
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
  const filters = Object.fromEntries(FILTERS.map((f) => [f, table.get(f)])) as Record<Filter, string | undefined>;
  const audit = useAudit({ limit: table.pageSize, offset: table.offset, q: table.q || undefined, ...filters });
  // The inputs are keyed by the URL's value, so a filter set by clicking a cell shows in its box.
  const setFilter = (filter: Filter, value: string | undefined) => table.set({ ...filters, [filter]: value?.trim() || undefined });
  const filterBox = (filter: Filter, label: string, placeholder: string, width: number) => (
    <Input
      key={`${filter}:${filters[filter] ?? ""}`}
      aria-label={label}
      placeholder={placeholder}
      defaultValue={filters[filter]}
      allowClear
      style={{ width }}
      onPressEnter={(e) => setFilter(filter, e.currentTarget.value)}
      onBlur={(e) => {
        if ((e.currentTarget.value.trim() || undefined) !== filters[filter]) setFilter(filter, e.currentTarget.value);
      }}
      onClear={() => setFilter(filter, undefined)}
    />
  );
  const filtered = FILTERS.some((f) => filters[f]);
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
      <Flex gap={12} wrap align="center" style={{ marginBottom: 16 }} role="search" aria-label="Filter the audit log">
        <SearchBox table={table} label="Search the audit log" placeholder="Any text: a name, a reason, an id…" />
        {filterBox("actor", "Actor", "Actor (user:alice, agent, system)", 240)}
        {filterBox("action", "Action", "Action (campaign.updated, …)", 220)}
        {filterBox("entity_type", "Entity type", "Entity type (campaign, consent, …)", 240)}
        {filterBox("entity_id", "Entity id", "Entity id", 160)}
        {filtered && (
          <Button onClick={() => table.set(Object.fromEntries(FILTERS.map((f) => [f, undefined])))}>
            Clear filters
          </Button>
        )}
      </Flex>
      {allowed && <ProblemAlert error={audit.error} />}
      <Card styles={{ body: { padding: 0 } }}>
        <Table<AuditEntry>
          rowKey="seq"
          size="small"
          columns={columnsFor(setFilter)}
          dataSource={allowed ? (audit.data?.items ?? []) : []}
          loading={allowed && audit.isLoading}
          scroll={{ x: "max-content" }}
          pagination={{
            current: table.page,
            pageSize: table.pageSize,
            total: audit.data?.total ?? 0,
            showSizeChanger: false,
            onChange: (page) => table.set({ page, ...filters }),
          }}
        />
      </Card>
    </>
  );
}
