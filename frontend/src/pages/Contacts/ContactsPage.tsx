/** The audience: contacts (paged) and the segments built from them. */
import { Card, Space, Table, Tag, Typography } from "antd";
import type { TableProps } from "antd";
import { useState } from "react";

import { useContacts, useSegments } from "../../api/directory";
import type { Contact, Segment } from "../../api/types";
import { formatCount, formatDateTime } from "../../components/format";
import { ProblemAlert } from "../../components/ProblemAlert";

const PAGE_SIZE = 50;

const contactColumns: TableProps<Contact>["columns"] = [
  { title: "Name", key: "name", render: (_, c) => c.first_name ?? <Typography.Text type="secondary">—</Typography.Text> },
  { title: "Username", dataIndex: "username", render: (u: string | null) => (u ? `@${u}` : "—") },
  { title: "Telegram ID", dataIndex: "telegram_id" },
  { title: "Language", dataIndex: "language", width: 100, render: (v: string | null) => v ?? "—" },
  { title: "Time zone", dataIndex: "timezone", render: (v: string | null) => v ?? "—" },
  {
    title: "Tags",
    dataIndex: "tags",
    render: (tags: string[]) => (tags.length ? tags.map((t) => <Tag key={t}>{t}</Tag>) : "—"),
  },
  { title: "Added", dataIndex: "created_at", width: 180, render: (iso: string) => formatDateTime(iso) },
];

/** "tags any of vip, new · language en": only the parts of the filter that are set. */
function describeFilter(filter: Segment["filter"]): string {
  const parts: string[] = [];
  if (filter.tags_any?.length) parts.push(`tags any of ${filter.tags_any.join(", ")}`);
  if (filter.tags_all?.length) parts.push(`tags all of ${filter.tags_all.join(", ")}`);
  if (filter.languages?.length) parts.push(`language ${filter.languages.join(", ")}`);
  for (const [key, value] of Object.entries(filter.attributes ?? {})) parts.push(`${key} = ${JSON.stringify(value)}`);
  return parts.join(" · ") || "everyone";
}

const segmentColumns: TableProps<Segment>["columns"] = [
  { title: "Segment", dataIndex: "name" },
  { title: "Contacts", dataIndex: "size", align: "right", width: 120, render: (n: number) => formatCount(n) },
  {
    title: "Filter",
    dataIndex: "filter",
    render: (filter: Segment["filter"]) => describeFilter(filter),
  },
];

export default function ContactsPage() {
  const [page, setPage] = useState(1);
  const contacts = useContacts(PAGE_SIZE, (page - 1) * PAGE_SIZE);
  const segments = useSegments();

  return (
    <Space orientation="vertical" size={16} style={{ width: "100%" }}>
      <Typography.Title level={2} style={{ margin: 0 }}>
        Contacts
      </Typography.Title>
      <Card title="Segments" styles={{ body: { padding: 0 } }}>
        <ProblemAlert error={segments.error} />
        <Table<Segment>
          rowKey="id"
          size="small"
          columns={segmentColumns}
          dataSource={segments.data?.items ?? []}
          loading={segments.isLoading}
          pagination={false}
          locale={{ emptyText: "No segments" }}
        />
      </Card>
      <Card title={`Contacts${contacts.data ? ` (${formatCount(contacts.data.total)})` : ""}`} styles={{ body: { padding: 0 } }}>
        <ProblemAlert error={contacts.error} />
        <Table<Contact>
          rowKey="id"
          size="small"
          columns={contactColumns}
          dataSource={contacts.data?.items ?? []}
          loading={contacts.isLoading}
          scroll={{ x: "max-content" }}
          pagination={{
            current: page,
            pageSize: PAGE_SIZE,
            total: contacts.data?.total ?? 0,
            showSizeChanger: false,
            onChange: setPage,
          }}
          locale={{ emptyText: "No contacts" }}
        />
      </Card>
    </Space>
  );
}
