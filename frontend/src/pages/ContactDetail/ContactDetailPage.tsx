/** One contact: profile, consent history with its proof, messages as a timeline, manual unsubscribe. */
import { ArrowLeftOutlined } from "@ant-design/icons";
import { App, Button, Card, Descriptions, Flex, Popconfirm, Result, Select, Skeleton, Space, Table, Tag, Timeline, Typography } from "antd";
import { useState } from "react";
import { Link, useParams } from "react-router";

import { useContact, useUnsubscribe, useUpdateContactTags } from "../../api/admin";
import { useContactTimeline, type TimelineEntry } from "../../api/analytics";
import { useSenders } from "../../api/directory";
import { asApiError } from "../../api/problem";
import type { ConsentRecord, Delivery } from "../../api/types";
import { usePermissions } from "../../auth/permissions";
import { ConsentTag } from "../../components/ConsentTag";
import { formatDateTime } from "../../components/format";
import { PermittedButton } from "../../components/Permitted";
import { ProblemAlert } from "../../components/ProblemAlert";
import { useNotifyProblem } from "../../components/useNotifyProblem";

const DELIVERY_COLOR: Record<string, string> = { sent: "green", failed: "red", skipped: "gray", dead: "red", in_doubt: "orange" };

const TIMELINE_LABEL: Record<string, string> = {
  sent: "Sent",
  delivered: "Delivered",
  read: "Read",
  clicked: "Clicked a link",
  replied: "Replied",
  converted: "Converted",
  unsubscribed: "Opted out",
  failed: "Not delivered",
  consent_granted: "Consent granted",
  consent_withdrawn: "Consent withdrawn",
};
const TIMELINE_COLOR: Record<string, string> = {
  converted: "green",
  consent_granted: "green",
  unsubscribed: "red",
  failed: "red",
  consent_withdrawn: "red",
};

/** The senders' names by id: a person reads "Demo bot", not "sender 1". */
function useSenderName(): (id: number | null | undefined) => string {
  const senders = useSenders();
  return (id) => {
    if (id == null) return "—";
    return senders.data?.find((s) => s.id === id)?.name ?? `Sender ${id}`;
  };
}

/** Every event and consent decision of the contact, newest first; reads only where the sender sees them. */
function ContactTimeline({ contactId }: { contactId: number }) {
  const timeline = useContactTimeline(contactId);
  const senderName = useSenderName();
  if (timeline.isLoading) return <Skeleton active />;
  if (!timeline.data) return <ProblemAlert error={timeline.error} />;
  const { entries, unobservable } = timeline.data;
  return (
    <Space orientation="vertical" style={{ width: "100%" }}>
      {Object.entries(unobservable ?? {}).map(([type, why]) => (
        <Typography.Text key={type} type="secondary">
          No “{type}” shown for this contact’s bot campaigns: {why}
        </Typography.Text>
      ))}
      {entries.length === 0 ? (
        <Typography.Text type="secondary">Nothing has happened to this contact yet.</Typography.Text>
      ) : (
        <Timeline
          items={entries.map((e: TimelineEntry, index: number) => ({
            key: `${e.type}-${e.at}-${index}`,
            color: TIMELINE_COLOR[e.type] ?? "blue",
            content: (
              <>
                <strong>{TIMELINE_LABEL[e.type] ?? e.type}</strong>
                {e.detail ? ` (${e.detail})` : ""}
                {e.campaign_id != null && (
                  <>
                    {" · "}
                    <Link to={`/campaigns/${e.campaign_id}`} style={{ textDecoration: "underline" }}>
                      Campaign {e.campaign_id}
                    </Link>
                    {e.variant_key ? `, variant ${e.variant_key}` : ""}
                  </>
                )}
                {e.campaign_id == null && e.sender_id != null ? ` · ${senderName(e.sender_id)}` : ""} · {formatDateTime(e.at)}
              </>
            ),
          }))}
        />
      )}
    </Space>
  );
}

/** The evidence of the import a consent came in: the file's hash, who uploaded it, when, the basis declared. */
function ImportEvidence({ batch }: { batch: ConsentRecord["import_batch"] }) {
  if (!batch) return <Typography.Text type="secondary">—</Typography.Text>;
  return (
    <dl style={{ margin: 0 }} aria-label={`Import batch ${batch.id}`}>
      <div style={{ display: "flex", gap: 4 }}>
        <dt>
          <Typography.Text type="secondary">import batch:</Typography.Text>
        </dt>
        <dd style={{ margin: 0 }}>
          {batch.id} ({batch.file_name ?? "file"}, {batch.rows} rows)
        </dd>
      </div>
      <div style={{ display: "flex", gap: 4 }}>
        <dt>
          <Typography.Text type="secondary">file SHA-256:</Typography.Text>
        </dt>
        <dd style={{ margin: 0 }}>
          <Typography.Text code copyable>
            {batch.file_sha256}
          </Typography.Text>
        </dd>
      </div>
      <div style={{ display: "flex", gap: 4 }}>
        <dt>
          <Typography.Text type="secondary">uploaded:</Typography.Text>
        </dt>
        <dd style={{ margin: 0 }}>
          {formatDateTime(batch.uploaded_at)} by {batch.uploaded_by}
        </dd>
      </div>
      <div style={{ display: "flex", gap: 4 }}>
        <dt>
          <Typography.Text type="secondary">declared basis:</Typography.Text>
        </dt>
        <dd style={{ margin: 0 }}>{batch.declared_basis ?? "none (per row)"}</dd>
      </div>
      {batch.evidence && (
        <div style={{ display: "flex", gap: 4 }}>
          <dt>
            <Typography.Text type="secondary">collected:</Typography.Text>
          </dt>
          <dd style={{ margin: 0 }}>{batch.evidence}</dd>
        </div>
      )}
    </dl>
  );
}

function JoinRequestEvidence({ joined }: { joined: NonNullable<ConsentRecord["join_request"]> }) {
  const rows: [string, string][] = [
    ["join request", `${joined.chat_title ?? joined.chat_id} (${joined.chat_type ?? "chat"} ${joined.chat_id})`],
    ["invite link", joined.invite_link_name ? `${joined.invite_link_name}: ${joined.invite_link ?? ""}` : joined.invite_link ?? "—"],
    ["requested", formatDateTime(joined.requested_at)],
  ];
  return (
    <dl style={{ margin: 0 }} aria-label={`Join request to ${joined.chat_title ?? joined.chat_id}`}>
      {rows.map(([label, value]) => (
        <div key={label} style={{ display: "flex", gap: 4 }}>
          <dt>
            <Typography.Text type="secondary">{label}:</Typography.Text>
          </dt>
          <dd style={{ margin: 0 }}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function Proof({ proof }: { proof: Record<string, unknown> }) {
  // The join request is shown as the record's evidence, beside it.
  const entries = Object.entries(proof ?? {}).filter(([key]) => key !== "join_request");
  if (entries.length === 0) return <Typography.Text type="secondary">—</Typography.Text>;
  return (
    <dl style={{ margin: 0 }}>
      {entries.map(([key, value]) => (
        <div key={key} style={{ display: "flex", gap: 4 }}>
          <dt>
            <Typography.Text type="secondary">{key}:</Typography.Text>
          </dt>
          <dd style={{ margin: 0 }}>{typeof value === "string" ? value : JSON.stringify(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

function TagsEditor({ contactId, tags }: { contactId: number; tags: string[] }) {
  const [editing, setEditing] = useState<string[] | null>(null);
  const save = useUpdateContactTags(contactId);
  const { can, reason } = usePermissions();
  const notifyProblem = useNotifyProblem();
  if (editing === null) {
    return (
      <Space size={4} wrap>
        {tags.length ? tags.map((t) => <Tag key={t}>{t}</Tag>) : "—"}
        <PermittedButton permission="contacts:write" size="small" onClick={() => setEditing(tags)}>
          Edit tags
        </PermittedButton>
      </Space>
    );
  }
  return (
    <Space wrap>
      <Select
        mode="tags"
        aria-label="Tags"
        style={{ minWidth: 220 }}
        value={editing}
        onChange={setEditing}
        tokenSeparators={[",", " "]}
        open={false}
        suffixIcon={null}
        disabled={!can("contacts:write")}
        title={reason("contacts:write")}
      />
      <Button
        type="primary"
        size="small"
        loading={save.isPending}
        onClick={() => save.mutate(editing, { onSuccess: () => setEditing(null), onError: notifyProblem })}
      >
        Save tags
      </Button>
      <Button size="small" onClick={() => setEditing(null)}>
        Cancel
      </Button>
    </Space>
  );
}

export default function ContactDetailPage() {
  const id = Number(useParams().id);
  const contact = useContact(id);
  const unsubscribe = useUnsubscribe(id);
  const senderName = useSenderName();
  const { can } = usePermissions();
  const { message } = App.useApp();
  const notifyProblem = useNotifyProblem();

  if (contact.isLoading) return <Skeleton active />;
  if (!contact.data) {
    if (contact.error && asApiError(contact.error).status === 404)
      return <Result status="404" title="No such contact" extra={<Link to="/contacts">Back to contacts</Link>} />;
    return <ProblemAlert error={contact.error} />;
  }
  const c = contact.data;
  const name = c.first_name || c.username || `Contact ${c.id}`;

  return (
    <Space orientation="vertical" size={16} style={{ width: "100%" }}>
      <Link to="/contacts">
        <ArrowLeftOutlined aria-hidden /> Contacts
      </Link>
      <Flex justify="space-between" align="center" gap={12} wrap>
        <Space align="center" wrap>
          <Typography.Title level={2} style={{ margin: 0 }}>
            {name}
          </Typography.Title>
          <span role="status" aria-label="Consent">
            <ConsentTag state={c.consent} />
          </span>
        </Space>
        {c.consent === "granted" && (
          <Popconfirm
            title="Unsubscribe this contact?"
            description="Consent to every sender is withdrawn now; nothing more is sent."
            okText="Unsubscribe"
            okButtonProps={{ danger: true }}
            cancelText="Keep"
            disabled={!can("contacts:write")}
            onConfirm={() =>
              unsubscribe.mutate(undefined, {
                onSuccess: () => void message.success(`${name} is unsubscribed`),
                onError: notifyProblem,
              })
            }
          >
            <PermittedButton permission="contacts:write" danger loading={unsubscribe.isPending}>
              Unsubscribe
            </PermittedButton>
          </Popconfirm>
        )}
      </Flex>
      <Card title="Profile">
        <Descriptions
          size="small"
          column={{ xs: 1, md: 2 }}
          items={[
            { key: "tg", label: "Telegram ID", children: c.telegram_id },
            { key: "user", label: "Username", children: c.username ? `@${c.username}` : "—" },
            { key: "lang", label: "Language", children: c.language ?? "—" },
            { key: "tz", label: "Time zone", children: c.timezone ?? "—" },
            { key: "tags", label: "Tags", children: <TagsEditor contactId={c.id} tags={c.tags ?? []} /> },
            { key: "added", label: "Added", children: formatDateTime(c.created_at) },
            ...Object.entries(c.attributes ?? {}).map(([key, value]) => ({ key: `a-${key}`, label: key, children: String(value) })),
          ]}
        />
      </Card>
      <Card title="Consent history" styles={{ body: { padding: 0 } }}>
        <section aria-label="Consent history">
          {/* Scrolls sideways on a narrow screen; focusable so a keyboard can scroll it too. */}
          <div tabIndex={0} style={{ overflowX: "auto" }}>
          <Table<ConsentRecord>
            rowKey="id"
            size="small"
            pagination={false}
            dataSource={c.consents}
            locale={{ emptyText: "No consent recorded: nothing is sent to this contact." }}
            columns={[
              { title: "When", dataIndex: "recorded_at", render: (iso: string) => formatDateTime(iso) },
              {
                title: "Decision",
                dataIndex: "status",
                render: (status: string) => <Tag color={status === "granted" ? "success" : "error"}>{status}</Tag>,
              },
              { title: "Sender", dataIndex: "sender_id", render: (id: number) => senderName(id) },
              { title: "Purpose", dataIndex: "purpose" },
              { title: "Source", dataIndex: "source" },
              { title: "Lawful basis", dataIndex: "lawful_basis", render: (basis: string) => basis.replace(/_/g, " ") },
              {
                title: "Text version",
                dataIndex: "consent_text_version",
                render: (version: string | null) => version ?? <Typography.Text type="secondary">not kept</Typography.Text>,
              },
              { title: "Proof", dataIndex: "proof", render: (proof: Record<string, unknown>) => <Proof proof={proof} /> },
              {
                title: "Evidence",
                key: "evidence",
                render: (_: unknown, record: ConsentRecord) =>
                  record.join_request ? <JoinRequestEvidence joined={record.join_request} /> : <ImportEvidence batch={record.import_batch} />,
              },
            ]}
          />
          </div>
        </section>
      </Card>
      <Card title="Timeline">
        <section aria-label="Timeline">
          <ContactTimeline contactId={c.id} />
        </section>
      </Card>
      <Card title="Messages">
        <section aria-label="Messages">
          {c.deliveries.length === 0 ? (
            <Typography.Text type="secondary">No message yet.</Typography.Text>
          ) : (
            <Timeline
              items={c.deliveries.map((d: Delivery) => ({
                key: d.id,
                color: DELIVERY_COLOR[d.status] ?? "blue",
                content: (
                  <>
                    <Link to={`/campaigns/${d.campaign_id}`} style={{ textDecoration: "underline" }}>
                      Campaign {d.campaign_id}
                    </Link>
                    , variant {d.variant_key}:{" "}
                    <strong>{d.status}</strong>
                    {d.reason ? ` (${d.reason})` : ""} · {formatDateTime(d.sent_at ?? d.updated_at)}
                  </>
                ),
              }))}
            />
          )}
        </section>
      </Card>
    </Space>
  );
}
