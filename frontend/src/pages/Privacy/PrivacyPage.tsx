/** The privacy officer's page: data-subject requests with their deadlines, erasure (confirmed),
 * the suppression list, unmasking one person for a reason, the privacy scanner, retention and the
 * records of processing, and the audit log's verifiable export. Every rule is the API's. */
import { DownloadOutlined, SafetyCertificateOutlined, SearchOutlined } from "@ant-design/icons";
import {
  Alert,
  App,
  Button,
  Card,
  Descriptions,
  Flex,
  Form,
  Input,
  InputNumber,
  Modal,
  Select,
  Space,
  Table,
  Tabs,
  Tag,
  Tooltip,
  Typography,
} from "antd";
import type { TableProps } from "antd";
import { useState } from "react";

import {
  downloadAuditExport,
  downloadRequestExport,
  useCheckSuppression,
  useCompleteRequest,
  useCreateRequest,
  useErase,
  useExtendRequest,
  usePrivacyRequests,
  useProcessingRecords,
  useRedact,
  useRejectRequest,
  useRetention,
  useRunRetention,
  useScan,
  useSuppressionCount,
  useUnmask,
  useVerifyExport,
  useVerifyRequest,
  type PrivacyFinding,
  type PrivacyRequest,
  type ProcessingRecord,
  type RequestKind,
} from "../../api/privacy";
import { usePermissions } from "../../auth/permissions";
import { formatDateTime } from "../../components/format";
import { PermittedButton } from "../../components/Permitted";
import { ProblemAlert } from "../../components/ProblemAlert";
import { useNotifyProblem } from "../../components/useNotifyProblem";

const KIND_LABEL: Record<RequestKind, string> = {
  access: "Access / portability",
  rectification: "Rectification",
  erasure: "Erasure",
  restriction: "Restriction",
  objection: "Objection to marketing",
  ccpa_opt_out: "CCPA opt-out of sale/sharing",
};
const STATUS_COLOR: Record<string, string> = { received: "warning", verified: "processing", completed: "success", rejected: "default" };

function VerifyDialog({ request, onClose }: { request: PrivacyRequest | null; onClose: () => void }) {
  const [form] = Form.useForm<{ method: string }>();
  const verify = useVerifyRequest();
  const submit = async () => {
    if (!request) return;
    const { method } = await form.validateFields();
    verify.mutate({ id: request.id, method }, { onSuccess: onClose });
  };
  return (
    <Modal
      open={request !== null}
      title={request ? `Verify the identity behind request ${request.id}` : ""}
      okText="Record verification"
      okButtonProps={{ loading: verify.isPending }}
      cancelText="Back"
      onOk={submit}
      onCancel={onClose}
      destroyOnHidden
      afterOpenChange={(open) => !open && verify.reset()}
    >
      <ProblemAlert error={verify.error} />
      <Form form={form} layout="vertical" preserve={false}>
        <Form.Item
          name="method"
          label="How did the requester prove who they are?"
          rules={[{ required: true, min: 3, message: "Say how the identity was checked (at least 3 characters)." }]}
        >
          <Input placeholder="e.g. wrote from their own Telegram account to our bot" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function CompleteDialog({ request, onClose }: { request: PrivacyRequest | null; onClose: () => void }) {
  const complete = useCompleteRequest();
  const { message } = App.useApp();
  const erasing = request?.kind === "erasure";
  return (
    <Modal
      open={request !== null}
      title={request ? `${erasing ? "Erase" : "Carry out"} request ${request.id}?` : ""}
      okText={erasing ? "Erase for good" : "Carry out"}
      okButtonProps={{ danger: erasing, loading: complete.isPending }}
      cancelText="Back"
      onOk={() =>
        request &&
        complete.mutate(request.id, {
          onSuccess: () => {
            void message.success(`Request ${request.id} completed.`);
            onClose();
          },
        })
      }
      onCancel={onClose}
      destroyOnHidden
      afterOpenChange={(open) => !open && complete.reset()}
    >
      <ProblemAlert error={complete.error} />
      <Typography.Paragraph>
        {erasing
          ? `Contact ${request?.contact_id} is erased everywhere: profile, consents, deliveries and events (aggregates stay anonymised). This cannot be undone.`
          : `${request ? KIND_LABEL[request.kind] : ""} for contact ${request?.contact_id} is carried out now and the request closed.`}
      </Typography.Paragraph>
    </Modal>
  );
}

type ReasonAction = { request: PrivacyRequest; action: "extend" | "reject" };

function ReasonDialog({ target, onClose }: { target: ReasonAction | null; onClose: () => void }) {
  const [form] = Form.useForm<{ reason: string }>();
  const extend = useExtendRequest();
  const reject = useRejectRequest();
  const { message } = App.useApp();
  const mutation = target?.action === "reject" ? reject : extend;
  const extending = target?.action === "extend";
  const submit = async () => {
    if (!target) return;
    const { reason } = await form.validateFields();
    mutation.mutate(
      { id: target.request.id, reason },
      {
        onSuccess: () => {
          void message.success(extending ? `Request ${target.request.id}: deadline extended.` : `Request ${target.request.id} rejected.`);
          onClose();
        },
      },
    );
  };
  const request = target?.request;
  return (
    <Modal
      open={target !== null}
      title={request ? (extending ? `Extend the deadline of request ${request.id}` : `Reject request ${request.id}`) : ""}
      okText={extending ? "Extend deadline" : "Reject request"}
      okButtonProps={{ danger: !extending, loading: mutation.isPending }}
      cancelText="Back"
      onOk={submit}
      onCancel={onClose}
      destroyOnHidden
      afterOpenChange={(open) => {
        if (!open) {
          extend.reset();
          reject.reset();
        }
      }}
    >
      <ProblemAlert error={mutation.error} />
      <Typography.Paragraph>
        {extending
          ? `Once, while the deadline runs: ${request?.regime === "ccpa" ? "45 more days (CCPA)" : "two further months (GDPR art. 12(3))"}. Tell the requester the reason within the first deadline.`
          : "The request is closed without being acted on. Tell the requester the reason and that they may complain to the supervisory authority."}
      </Typography.Paragraph>
      <Form form={form} layout="vertical" preserve={false}>
        <Form.Item
          name="reason"
          label={extending ? "Why is more time needed?" : "Why is the request rejected?"}
          rules={[{ required: true, min: 10, message: "Give the reason the requester is told (at least 10 characters)." }]}
        >
          <Input.TextArea rows={3} maxLength={1000} showCount />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function DueCell({ r }: { r: PrivacyRequest }) {
  const open = r.status === "received" || r.status === "verified";
  return (
    <Space size={4} wrap>
      {formatDateTime(r.due_at)}
      {r.overdue && <Tag color="error">Overdue</Tag>}
      {open && !r.overdue && r.days_left !== null && r.days_left !== undefined && (
        <Tag color={r.reminded_at ? "warning" : "default"}>{r.days_left === 1 ? "1 day left" : `${r.days_left} days left`}</Tag>
      )}
      {r.original_due_at && (
        <Tooltip title={`Extended by ${r.extended_by ?? ""}: ${r.extension_reason ?? ""}`}>
          <Tag color="processing" tabIndex={0}>
            Extended from {formatDateTime(r.original_due_at)}
          </Tag>
        </Tooltip>
      )}
    </Space>
  );
}

function RequestsTab() {
  const requests = usePrivacyRequests();
  const create = useCreateRequest();
  const [form] = Form.useForm<{ kind: RequestKind; regime: "gdpr" | "ccpa"; contact_id: number }>();
  const [verifying, setVerifying] = useState<PrivacyRequest | null>(null);
  const [completing, setCompleting] = useState<PrivacyRequest | null>(null);
  const [giving, setGiving] = useState<ReasonAction | null>(null);
  const notify = useNotifyProblem();
  const openActions = (r: PrivacyRequest) => (
    <>
      {r.original_due_at === null && !r.overdue && (
        <PermittedButton permission="compliance:write" size="small" onClick={() => setGiving({ request: r, action: "extend" })}>
          Extend deadline of request {r.id}
        </PermittedButton>
      )}
      <PermittedButton permission="compliance:write" size="small" danger onClick={() => setGiving({ request: r, action: "reject" })}>
        Reject request {r.id}
      </PermittedButton>
    </>
  );

  const columns: TableProps<PrivacyRequest>["columns"] = [
    { title: "#", dataIndex: "id" },
    { title: "Kind", dataIndex: "kind", render: (k: RequestKind) => KIND_LABEL[k] },
    { title: "Law", dataIndex: "regime", render: (r: string) => r.toUpperCase() },
    { title: "Status", dataIndex: "status", render: (s: string) => <Tag color={STATUS_COLOR[s]}>{s}</Tag> },
    { title: "Contact", dataIndex: "contact_id", render: (id: number | null) => id ?? <Typography.Text type="secondary">erased</Typography.Text> },
    { title: "Channel", dataIndex: "channel" },
    { title: "Received", dataIndex: "received_at", render: (iso: string) => formatDateTime(iso) },
    {
      title: "Due",
      key: "due",
      render: (_, r) => <DueCell r={r} />,
    },
    {
      title: "Action",
      key: "action",
      render: (_, r) => {
        if (r.status === "received")
          return (
            <Space size={4} wrap>
              <PermittedButton permission="compliance:write" size="small" onClick={() => setVerifying(r)}>
                Verify identity of request {r.id}
              </PermittedButton>
              {openActions(r)}
            </Space>
          );
        if (r.status === "verified")
          return (
            <Space size={4} wrap>
              <PermittedButton permission="compliance:write" size="small" danger={r.kind === "erasure"} onClick={() => setCompleting(r)}>
                Complete request {r.id}
              </PermittedButton>
              {openActions(r)}
            </Space>
          );
        if (r.status === "completed" && r.kind === "access" && r.contact_id !== null)
          return (
            <PermittedButton
              permission="compliance:write"
              size="small"
              icon={<DownloadOutlined aria-hidden />}
              onClick={() => downloadRequestExport(r.id).catch(notify)}
            >
              Export of request {r.id}
            </PermittedButton>
          );
        return <Typography.Text type="secondary">{r.outcome}</Typography.Text>;
      },
    },
  ];

  const submit = async () => {
    const values = await form.validateFields();
    create.mutate({ ...values, channel: "admin_ui" }, { onSuccess: () => form.resetFields(["contact_id"]) });
  };

  return (
    <>
      <Card title="Record a request" size="small" style={{ marginBottom: 16 }}>
        <ProblemAlert error={create.error} />
        <Form form={form} layout="inline" initialValues={{ kind: "access", regime: "gdpr" }} onFinish={submit}>
          <Form.Item name="kind" label="Kind" rules={[{ required: true }]}>
            <Select style={{ width: 240 }} options={Object.entries(KIND_LABEL).map(([value, label]) => ({ value, label }))} />
          </Form.Item>
          <Form.Item name="regime" label="Law" rules={[{ required: true }]}>
            <Select
              style={{ width: 200 }}
              options={[
                { value: "gdpr", label: "GDPR (one month)" },
                { value: "ccpa", label: "CCPA (45 days)" },
              ]}
            />
          </Form.Item>
          <Form.Item name="contact_id" label="Contact id" rules={[{ required: true, message: "Which contact is it about?" }]}>
            <InputNumber min={1} precision={0} style={{ width: 140 }} />
          </Form.Item>
          <Form.Item>
            <PermittedButton permission="compliance:write" type="primary" htmlType="submit" loading={create.isPending}>
              Record request
            </PermittedButton>
          </Form.Item>
        </Form>
      </Card>
      <ProblemAlert error={requests.error} />
      <Card title="Requests, the soonest deadline first" size="small" styles={{ body: { padding: 0 } }}>
        <Table<PrivacyRequest>
          rowKey="id"
          size="small"
          columns={columns}
          dataSource={requests.data ?? []}
          loading={requests.isLoading}
          scroll={{ x: "max-content" }}
          pagination={{ pageSize: 20, showSizeChanger: false }}
        />
      </Card>
      <VerifyDialog request={verifying} onClose={() => setVerifying(null)} />
      <CompleteDialog request={completing} onClose={() => setCompleting(null)} />
      <ReasonDialog target={giving} onClose={() => setGiving(null)} />
    </>
  );
}

function EraseCard() {
  const erase = useErase();
  const [contactId, setContactId] = useState<number | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState("");
  return (
    <Card title="Erase a person" size="small" style={{ marginBottom: 16 }}>
      <Typography.Paragraph type="secondary">
        Erases a contact everywhere at once (GDPR art. 17, CCPA right to delete); aggregates stay anonymised, the audit
        log records that it happened, and the suppression list keeps a later import from adding them back.
      </Typography.Paragraph>
      {erase.data && (
        <Alert
          role="status"
          type="success"
          showIcon
          style={{ marginBottom: 16 }}
          title={`Contact ${erase.data.contact_id} erased: ${erase.data.deliveries_anonymised} deliveries and ${erase.data.events_anonymised} events anonymised, ${erase.data.consent_records_anonymised} consent records kept without identifiers; suppressed from imports.`}
        />
      )}
      <ProblemAlert error={erase.error} />
      <Space wrap>
        <label htmlFor="erase-contact">Contact id to erase</label>
        <InputNumber id="erase-contact" min={1} precision={0} value={contactId} onChange={(v) => setContactId(v)} />
        <PermittedButton permission="compliance:write" danger disabled={!contactId} onClick={() => setConfirming(true)}>
          Erase…
        </PermittedButton>
      </Space>
      <Modal
        open={confirming}
        title={`Erase contact ${contactId} irreversibly?`}
        okText="Erase for good"
        okButtonProps={{ danger: true, disabled: typed !== "ERASE", loading: erase.isPending }}
        cancelText="Back"
        onCancel={() => setConfirming(false)}
        onOk={() =>
          contactId &&
          erase.mutate(contactId, {
            onSettled: () => {
              setConfirming(false);
              setTyped("");
            },
          })
        }
        destroyOnHidden
      >
        <Typography.Paragraph>
          Everything we hold about contact {contactId} is erased now. This cannot be undone.
        </Typography.Paragraph>
        <label htmlFor="erase-confirm">Type ERASE to confirm</label>
        <Input id="erase-confirm" value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" />
      </Modal>
    </Card>
  );
}

function SuppressionCard() {
  const count = useSuppressionCount();
  const check = useCheckSuppression();
  const [telegramId, setTelegramId] = useState<number | null>(null);
  return (
    <Card title="Suppression list" size="small" style={{ marginBottom: 16 }}>
      <Typography.Paragraph>
        {count.data ? `${count.data.count} erased people are on the suppression list` : "…"} (kept as keyed hashes of
        their Telegram id only, so there is nothing else to show).
      </Typography.Paragraph>
      <ProblemAlert error={check.error} />
      <Space wrap>
        <label htmlFor="check-telegram">Telegram id to check</label>
        <InputNumber id="check-telegram" precision={0} value={telegramId} onChange={(v) => setTelegramId(v)} style={{ width: 180 }} />
        <Button icon={<SearchOutlined aria-hidden />} disabled={!telegramId} loading={check.isPending} onClick={() => telegramId && check.mutate(telegramId)}>
          Check
        </Button>
      </Space>
      {check.data && (
        <Alert
          role="status"
          style={{ marginTop: 12 }}
          type={check.data.suppressed ? "warning" : "info"}
          showIcon
          title={
            check.data.suppressed
              ? "This person was erased: no import will add them back; only their own /start does."
              : "This Telegram id is not on the suppression list."
          }
        />
      )}
    </Card>
  );
}

function UnmaskCard() {
  const unmask = useUnmask();
  const [form] = Form.useForm<{ contact_id: number; reason: string }>();
  return (
    <Card title="See one person's data unmasked" size="small">
      <Typography.Paragraph type="secondary">
        Roles without the personal-data right see usernames, names and phone numbers masked. Unmasking one contact needs a
        reason, and is recorded in the audit log.
      </Typography.Paragraph>
      <ProblemAlert error={unmask.error} />
      <Form form={form} layout="vertical" onFinish={(v) => unmask.mutate({ contactId: v.contact_id, reason: v.reason })}>
        <Form.Item name="contact_id" label="Contact id" rules={[{ required: true }]}>
          <InputNumber min={1} precision={0} />
        </Form.Item>
        <Form.Item name="reason" label="Reason" rules={[{ required: true, min: 10, message: "Say why (at least 10 characters)." }]}>
          <Input.TextArea rows={2} placeholder="e.g. access request 12: checking the requester's identity" />
        </Form.Item>
        <PermittedButton permission="compliance:read" htmlType="submit" loading={unmask.isPending}>
          Unmask (audited)
        </PermittedButton>
      </Form>
      {unmask.data && (
        <Descriptions size="small" bordered column={1} style={{ marginTop: 12 }}>
          <Descriptions.Item label="Telegram id">{unmask.data.telegram_id}</Descriptions.Item>
          <Descriptions.Item label="Username">{unmask.data.username ?? "—"}</Descriptions.Item>
          <Descriptions.Item label="First name">{unmask.data.first_name ?? "—"}</Descriptions.Item>
          <Descriptions.Item label="Attributes">{JSON.stringify(unmask.data.attributes)}</Descriptions.Item>
        </Descriptions>
      )}
    </Card>
  );
}

function ScannerTab() {
  const scan = useScan();
  const redact = useRedact();
  const columns: TableProps<PrivacyFinding>["columns"] = [
    { title: "Where", key: "where", render: (_, f) => `${f.location} ${f.id}${f.campaign_id ? ` (campaign ${f.campaign_id})` : ""}` },
    { title: "Field", dataIndex: "field", render: (f: string) => <Typography.Text code>{f}</Typography.Text> },
    { title: "Found", dataIndex: "entities", render: (e: string[]) => e.map((x) => <Tag key={x}>{x}</Tag>) },
    { title: "Masked", dataIndex: "masked", render: (m: string[]) => m.join(", ") },
    {
      title: "Action",
      key: "action",
      render: (_, f) => (
        <PermittedButton
          permission="compliance:write"
          size="small"
          loading={redact.isPending}
          onClick={() =>
            redact.mutate([{ location: f.location, id: f.id, field: f.field }], { onSuccess: () => scan.mutate() })
          }
        >
          Redact {f.location} {f.id} {f.field}
        </PermittedButton>
      ),
    },
  ];
  return (
    <>
      <Typography.Paragraph>
        Looks for e-mails, phone numbers, cards, IBANs and other personal data in contacts&apos; custom attributes and
        tags, campaign goals and message texts. Findings are shown masked; redacting replaces them by their type.
      </Typography.Paragraph>
      <Button type="primary" icon={<SearchOutlined aria-hidden />} loading={scan.isPending} onClick={() => scan.mutate()} style={{ marginBottom: 16 }}>
        Scan for personal data
      </Button>
      <ProblemAlert error={scan.error ?? redact.error} />
      {scan.data && (
        <>
          <Alert
            role="status"
            type={scan.data.total ? "warning" : "success"}
            showIcon
            style={{ marginBottom: 16 }}
            title={scan.data.total ? `${scan.data.total} fields hold personal data.` : "No personal data found in free-text fields."}
          />
          <Table<PrivacyFinding>
            rowKey={(f) => `${f.location}-${f.id}-${f.field}`}
            size="small"
            columns={columns}
            dataSource={scan.data.findings}
            scroll={{ x: "max-content" }}
            pagination={{ pageSize: 20, showSizeChanger: false }}
          />
        </>
      )}
    </>
  );
}

function RetentionTab() {
  const retention = useRetention();
  const run = useRunRetention();
  const records = useProcessingRecords();
  const days = (n: number | undefined) => (n ? `${n} days` : "kept");
  const columns: TableProps<ProcessingRecord>["columns"] = [
    { title: "Category", dataIndex: "category" },
    { title: "Data", dataIndex: "data", render: (d: string[]) => d.join(", ") },
    { title: "Purpose", dataIndex: "purpose" },
    { title: "Lawful basis", dataIndex: "lawful_basis" },
    { title: "Kept", dataIndex: "retention" },
    { title: "Visible to", dataIndex: "visible_to_roles", render: (r: string[]) => r.join(", ") },
    { title: "Masked for", dataIndex: "masked_for_roles", render: (r: string[] | undefined) => (r?.length ? r.join(", ") : "—") },
  ];
  const r = retention.data;
  return (
    <>
      <Card title="Retention" size="small" style={{ marginBottom: 16 }}>
        <ProblemAlert error={retention.error ?? run.error} />
        <Descriptions size="small" column={{ xs: 1, md: 2 }}>
          <Descriptions.Item label="Inactive contacts">{days(r?.inactive_contacts_days)}</Descriptions.Item>
          <Descriptions.Item label="Access-request exports">{days(r?.dsr_exports_days)}</Descriptions.Item>
          <Descriptions.Item label="Events linked to people">{r?.events_days ? `${r.events_days} days, then anonymised` : "kept"}</Descriptions.Item>
          <Descriptions.Item label="Replies">{r?.replies_days ? `${r.replies_days} days, then deleted` : "kept"}</Descriptions.Item>
          <Descriptions.Item label="Telegram updates log">{r?.inbound_log_days ? `${r.inbound_log_days} days after applied, then deleted` : "kept"}</Descriptions.Item>
          <Descriptions.Item label="Strategist chats">not stored (the conversation stays in the browser)</Descriptions.Item>
          <Descriptions.Item label="Purge runs every">{r?.purge_interval_hours ? `${r.purge_interval_hours} hours` : "never"}</Descriptions.Item>
          <Descriptions.Item label="Last run">
            {r?.last_run_at
              ? `${formatDateTime(r.last_run_at)} by ${r.last_run_by}: ${r.last_report?.contacts_erased ?? 0} contacts erased, ${r.last_report?.exports_deleted ?? 0} exports deleted, ${r.last_report?.events_anonymised ?? 0} events anonymised, ${r.last_report?.replies_deleted ?? 0} replies deleted, ${r.last_report?.inbound_updates_deleted ?? 0} logged updates deleted`
              : "not yet"}
          </Descriptions.Item>
        </Descriptions>
        <PermittedButton permission="compliance:write" loading={run.isPending} onClick={() => run.mutate()}>
          Run retention now
        </PermittedButton>
      </Card>
      <ProblemAlert error={records.error} />
      <Card title="Records of processing (GDPR art. 30)" size="small" styles={{ body: { padding: 0 } }}>
        {records.data && (
          <Typography.Paragraph type="secondary" style={{ padding: "12px 16px 0" }}>
            {records.data.controller_note}
          </Typography.Paragraph>
        )}
        <Table<ProcessingRecord>
          rowKey="category"
          size="small"
          columns={columns}
          dataSource={records.data?.records ?? []}
          loading={records.isLoading}
          scroll={{ x: "max-content" }}
          pagination={false}
        />
      </Card>
    </>
  );
}

function AuditExportTab() {
  const verify = useVerifyExport();
  const notify = useNotifyProblem();
  return (
    <Card size="small">
      <Typography.Paragraph>
        The export is the whole audit log as JSON lines for a SIEM, oldest first, with the chain&apos;s head hash on its
        last line. Anyone can re-verify it: every entry&apos;s hash, the links between them, and the head hashes the
        scheduler exported earlier.
      </Typography.Paragraph>
      <Space wrap style={{ marginBottom: 16 }}>
        <PermittedButton permission="compliance:read" icon={<DownloadOutlined aria-hidden />} onClick={() => downloadAuditExport().catch(notify)}>
          Download audit export
        </PermittedButton>
        <label htmlFor="verify-export">Verify an export file</label>
        <input
          id="verify-export"
          type="file"
          accept=".jsonl,.json,.txt,application/x-ndjson"
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            if (file) verify.mutate(file);
            e.currentTarget.value = "";
          }}
        />
      </Space>
      <ProblemAlert error={verify.error} />
      {verify.data && (
        <Alert
          role="status"
          type={verify.data.ok ? "success" : "error"}
          showIcon
          icon={<SafetyCertificateOutlined aria-hidden />}
          title={
            verify.data.ok
              ? `The export is intact: ${verify.data.checked} entries verified, ending at head ${verify.data.head_hash}${verify.data.anchors_checked ? `; ${verify.data.anchors_checked} exported heads matched` : ""}.`
              : `The export was tampered with at entry ${verify.data.first_bad_seq}: ${verify.data.reason}.`
          }
        />
      )}
    </Card>
  );
}

export default function PrivacyPage() {
  const { can, reason } = usePermissions();
  const allowed = can("compliance:read");
  return (
    <>
      <Flex justify="space-between" align="center" style={{ marginBottom: 16 }}>
        <Typography.Title level={2} style={{ margin: 0 }}>
          Privacy
        </Typography.Title>
      </Flex>
      {!allowed ? (
        <Alert type="info" showIcon title={reason("compliance:read")} />
      ) : (
        <Tabs
          items={[
            { key: "requests", label: "Requests", children: <RequestsTab /> },
            {
              key: "erasure",
              label: "Erasure & suppression",
              children: (
                <>
                  <EraseCard />
                  <SuppressionCard />
                  <UnmaskCard />
                </>
              ),
            },
            { key: "scanner", label: "Privacy scanner", children: <ScannerTab /> },
            { key: "retention", label: "Retention & records", children: <RetentionTab /> },
            { key: "audit", label: "Audit export", children: <AuditExportTab /> },
          ]}
        />
      )}
    </>
  );
}
