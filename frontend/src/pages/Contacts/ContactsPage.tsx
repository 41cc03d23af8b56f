/** Contacts: search by name, username, Telegram id or tag, filters for consent, tag and language (all
 * in the URL), paging; import and export CSV. */
import { DownloadOutlined, UploadOutlined } from "@ant-design/icons";
import { Card, Flex, Input, Select, Table, Tag, Typography } from "antd";
import type { TableProps } from "antd";
import { useState } from "react";
import { Link } from "react-router";

import { downloadContactsCsv, useContactList } from "../../api/admin";
import type { Contact } from "../../api/types";
import { ConsentTag } from "../../components/ConsentTag";
import { formatCount, formatDateTime } from "../../components/format";
import { PermittedButton } from "../../components/Permitted";
import { ProblemAlert } from "../../components/ProblemAlert";
import { SearchBox } from "../../components/SearchBox";
import { useNotifyProblem } from "../../components/useNotifyProblem";
import { useUrlTable } from "../../components/useUrlState";
import { ImportDrawer } from "./ImportDrawer";

type ConsentFilter = "granted" | "withdrawn" | "none";
const CONSENT_OPTIONS: { value: ConsentFilter; label: string }[] = [
  { value: "granted", label: "Consented" },
  { value: "withdrawn", label: "Withdrawn" },
  { value: "none", label: "No consent recorded" },
];

const columns: TableProps<Contact>["columns"] = [
  {
    title: "Name",
    key: "name",
    render: (_, c) => <Link to={`/contacts/${c.id}`}>{c.first_name || c.username || `Contact ${c.id}`}</Link>,
  },
  { title: "Username", dataIndex: "username", render: (u: string | null) => (u ? `@${u}` : "—") },
  { title: "Telegram ID", dataIndex: "telegram_id" },
  { title: "Consent", dataIndex: "consent", render: (state: Contact["consent"]) => <ConsentTag state={state} /> },
  { title: "Language", dataIndex: "language", render: (v: string | null) => v ?? "—" },
  { title: "Time zone", dataIndex: "timezone", render: (v: string | null) => v ?? "—" },
  {
    title: "Tags",
    dataIndex: "tags",
    render: (tags: string[]) => (tags.length ? tags.map((t) => <Tag key={t}>{t}</Tag>) : "—"),
  },
  {
    title: "Attributes",
    dataIndex: "attributes",
    render: (attributes: Record<string, unknown>) =>
      Object.entries(attributes ?? {})
        .map(([k, v]) => `${k}: ${String(v)}`)
        .join(", ") || "—",
  },
  { title: "Added", dataIndex: "created_at", render: (iso: string) => formatDateTime(iso) },
];

export default function ContactsPage() {
  const table = useUrlTable(50);
  const [importing, setImporting] = useState(false);
  const [exporting, setExporting] = useState(false);
  const notifyProblem = useNotifyProblem();
  const consent = table.get("consent") as ConsentFilter | undefined;
  const tag = table.get("tag");
  const language = table.get("language");
  const filtered = Boolean(table.q || consent || tag || language);
  const contacts = useContactList({ q: table.q || undefined, consent, tag, language, limit: table.pageSize, offset: table.offset });

  const exportCsv = () => {
    setExporting(true);
    downloadContactsCsv()
      .catch(notifyProblem)
      .finally(() => setExporting(false));
  };

  return (
    <>
      <Flex justify="space-between" align="center" gap={12} wrap style={{ marginBottom: 16 }}>
        <Typography.Title level={2} style={{ margin: 0 }}>
          Contacts
        </Typography.Title>
        <Flex gap={8} wrap>
          <PermittedButton permission="contacts:write" icon={<UploadOutlined aria-hidden />} onClick={() => setImporting(true)}>
            Import CSV
          </PermittedButton>
          <PermittedButton permission="contacts:write" icon={<DownloadOutlined aria-hidden />} loading={exporting} onClick={exportCsv}>
            Export CSV
          </PermittedButton>
        </Flex>
      </Flex>
      <Flex gap={12} wrap align="center" style={{ marginBottom: 16 }}>
        <SearchBox table={table} label="Search contacts" placeholder="Name, @username, Telegram id or tag" />
        <Select<ConsentFilter>
          aria-label="Filter by consent"
          allowClear
          placeholder="Any consent"
          style={{ width: 170 }}
          value={consent}
          onChange={(value) => table.set({ consent: value })}
          options={CONSENT_OPTIONS}
        />
        <Input.Search
          aria-label="Filter by tag"
          placeholder="Tag"
          allowClear
          defaultValue={tag}
          key={`tag-${tag ?? ""}`}
          style={{ width: 150 }}
          onSearch={(value) => table.set({ tag: value.trim() || undefined })}
        />
        <Input.Search
          aria-label="Filter by language"
          placeholder="Language (de)"
          allowClear
          defaultValue={language}
          key={`language-${language ?? ""}`}
          style={{ width: 160 }}
          onSearch={(value) => table.set({ language: value.trim() || undefined })}
        />
      </Flex>
      <ProblemAlert error={contacts.error} />
      <Card
        title={`${contacts.data ? formatCount(contacts.data.total) : "…"} contact${contacts.data?.total === 1 ? "" : "s"}`}
        styles={{ body: { padding: 0 } }}
      >
        <Table<Contact>
          rowKey="id"
          size="small"
          columns={columns}
          dataSource={contacts.data?.items ?? []}
          loading={contacts.isLoading}
          scroll={{ x: "max-content" }}
          pagination={{
            current: table.page,
            pageSize: table.pageSize,
            total: contacts.data?.total ?? 0,
            showSizeChanger: false,
            onChange: (page) => table.set({ page }),
          }}
          locale={{ emptyText: filtered ? "No contact matches." : "No contacts yet: import a CSV." }}
        />
      </Card>
      <ImportDrawer open={importing} onClose={() => setImporting(false)} />
    </>
  );
}
