/** The safety guard's rules: phrase lists by category and severity (and the built-in ones, read-only, with a text to try them on), the senders' health with their cool-downs, and the workspace's review and privacy settings. */
import { App, Button, Card, Flex, Form, Input, InputNumber, Modal, Popconfirm, Select, Space, Switch, Table, Tabs, Tag, Typography } from "antd";
import type { TableProps } from "antd";
import { useEffect, useState } from "react";

import {
  useAddPhrase,
  useBuiltInPhrases,
  useCheckText,
  useCreatePhraseList,
  useDeletePhraseList,
  usePhraseLists,
  usePhrases,
  useRemovePhrase,
  useResumeSender,
  useSafetySettings,
  useSenderHealth,
  useUpdatePhraseList,
  useUpdateSafetySettings,
  type BuiltInPhraseList,
  type Phrase,
  type PhraseList,
  type SafetySettings,
  type SafetySettingsUpdate,
  type SenderHealth,
} from "../../api/safety";
import { usePermissions } from "../../auth/permissions";
import { formatDateTime } from "../../components/format";
import { PermittedButton } from "../../components/Permitted";
import { ProblemAlert } from "../../components/ProblemAlert";
import { RiskScale, useReviewThreshold } from "../../components/Risk";

const SEVERITIES = [
  { value: "info", label: "info (noted)" },
  { value: "warn", label: "warn (adds risk)" },
  { value: "block", label: "block (never sent)" },
];
const SEVERITY_COLOR: Record<string, string> = { info: "blue", warn: "warning", block: "error" };
const BADGE_COLOR: Record<string, string> = { good: "success", warning: "warning", poor: "error", cooling_down: "error" };
const BADGE_LABEL: Record<string, string> = { good: "Good", warning: "Warning", poor: "Poor", cooling_down: "Cooling down" };

function PhrasesOf({ list }: { list: PhraseList }) {
  const phrases = usePhrases(list.id);
  const add = useAddPhrase(list.id);
  const remove = useRemovePhrase(list.id);
  const [form] = Form.useForm<{ text: string; severity?: string }>();
  const { can } = usePermissions();
  const manage = can("safety:manage");

  const columns: TableProps<Phrase>["columns"] = [
    { title: "Phrase", dataIndex: "text" },
    { title: "Severity", dataIndex: "severity", width: 120, render: (s: string) => <Tag color={SEVERITY_COLOR[s]}>{s}</Tag> },
    {
      title: "Actions",
      key: "actions",
      width: 110,
      render: (_, phrase) => (
        <PermittedButton permission="safety:manage" size="small" danger onClick={() => remove.mutate(phrase.id)} aria-label={`Remove ${phrase.text}`}>
          Remove
        </PermittedButton>
      ),
    },
  ];

  return (
    <Space orientation="vertical" style={{ width: "100%" }}>
      <ProblemAlert error={phrases.error ?? add.error ?? remove.error} />
      {manage && (
        <Form
          form={form}
          layout="inline"
          name={`add-phrase-${list.id}`}
          onFinish={(values) =>
            add.mutate(
              { text: values.text, severity: (values.severity as Phrase["severity"] | undefined) ?? null },
              { onSuccess: () => form.resetFields() },
            )
          }
        >
          <Form.Item label="New phrase" name="text" rules={[{ required: true, message: "Write the phrase" }]}>
            <Input maxLength={200} />
          </Form.Item>
          <Form.Item label="Severity" name="severity">
            <Select style={{ width: 170 }} allowClear placeholder={`list default (${list.default_severity})`} options={SEVERITIES} />
          </Form.Item>
          <Button htmlType="submit" loading={add.isPending}>
            Add phrase
          </Button>
        </Form>
      )}
      <Table<Phrase> rowKey="id" size="small" columns={columns} dataSource={phrases.data ?? []} loading={phrases.isLoading} pagination={{ pageSize: 20, hideOnSinglePage: true }} />
    </Space>
  );
}

function NewListDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [form] = Form.useForm<{ name: string; category: string; default_severity: string; phrases?: string }>();
  const create = useCreatePhraseList();
  const { message } = App.useApp();
  const submit = async () => {
    const values = await form.validateFields();
    const phrases = (values.phrases ?? "").split("\n").map((p) => p.trim()).filter(Boolean);
    create.mutate(
      {
        name: values.name,
        category: values.category,
        description: "",
        enabled: true,
        default_severity: values.default_severity as PhraseList["default_severity"],
        phrases,
      },
      {
        onSuccess: (list) => {
          void message.success(`Phrase list “${list.name}” created with ${list.phrase_count} phrases.`);
          onClose();
        },
      },
    );
  };
  return (
    <Modal open={open} title="New phrase list" okText="Create list" onOk={submit} onCancel={onClose} okButtonProps={{ loading: create.isPending }} destroyOnHidden afterOpenChange={(o) => !o && create.reset()}>
      <ProblemAlert error={create.error} />
      <Form form={form} layout="vertical" name="new-phrase-list" preserve={false} initialValues={{ category: "custom", default_severity: "warn" }}>
        <Form.Item label="Name" name="name" rules={[{ required: true, whitespace: true, message: "Name the list" }]}>
          <Input maxLength={100} />
        </Form.Item>
        <Form.Item label="Category" name="category">
          <Select options={CATEGORY_OPTIONS} />
        </Form.Item>
        <Form.Item label="Default severity" name="default_severity">
          <Select options={SEVERITIES} />
        </Form.Item>
        <Form.Item label="Phrases, one a line" name="phrases">
          <Input.TextArea rows={5} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

const DECISION_COLOR: Record<string, string> = { allow: "success", review: "warning", block: "error" };

function BuiltInLists() {
  const builtIn = useBuiltInPhrases();
  const columns: TableProps<BuiltInPhraseList>["columns"] = [
    { title: "Name", dataIndex: "name" },
    { title: "Category", dataIndex: "category", width: 130 },
    { title: "Severity", dataIndex: "severity", width: 140, render: (s: string) => <Tag color={SEVERITY_COLOR[s]}>{s}</Tag> },
    { title: "Phrases", key: "count", width: 90, render: (_, list) => list.phrases.length },
    { title: "What it does", dataIndex: "description" },
  ];
  return (
    <Card size="small" title={<Typography.Title level={3} style={{ margin: 0, fontSize: 16 }}>Built-in phrases (read-only)</Typography.Title>}>
      <Typography.Paragraph type="secondary">
        Every check looks for these besides your own lists; they ship with the safety guard and cannot be edited here. The same phrase in one of your lists, at another severity, takes its place.
      </Typography.Paragraph>
      <ProblemAlert error={builtIn.error} />
      <Table<BuiltInPhraseList>
        rowKey="category"
        size="small"
        columns={columns}
        dataSource={builtIn.data ?? []}
        loading={builtIn.isLoading}
        pagination={false}
        expandable={{
          expandedRowRender: (list) => (
            <Flex wrap gap={4} role="list" aria-label={`Phrases of ${list.name}`}>
              {list.phrases.map((phrase) => (
                <Tag key={phrase} role="listitem">
                  {phrase}
                </Tag>
              ))}
            </Flex>
          ),
        }}
        scroll={{ x: 700 }}
      />
    </Card>
  );
}

type FoundReason = NonNullable<NonNullable<ReturnType<typeof useCheckText>["data"]>["reasons"]>[number];

function TryText() {
  const check = useCheckText();
  const builtIn = useBuiltInPhrases();
  const threshold = useReviewThreshold();
  const [text, setText] = useState("");
  const listName = (category: string | null | undefined) => {
    const shipped = (builtIn.data ?? []).find((list) => list.category === category);
    if (shipped) return `${shipped.name} (built-in)`;
    if (category === "blacklist") return "Your blacklist";
    return category ? `Your lists (${category})` : "—";
  };
  const columns: TableProps<FoundReason>["columns"] = [
    { title: "Found", dataIndex: "match", render: (match: string | null) => (match ? <Typography.Text code>{match}</Typography.Text> : "—") },
    { title: "Why", dataIndex: "message" },
    { title: "List", dataIndex: "category", render: (category: string | null, reason) => (reason.code.startsWith("pii_") ? "Personal data" : listName(category)) },
    { title: "Severity", dataIndex: "severity", width: 100, render: (s: string) => <Tag color={SEVERITY_COLOR[s]}>{s}</Tag> },
  ];
  const verdict = check.data;
  return (
    <Card size="small" title={<Typography.Title level={3} style={{ margin: 0, fontSize: 16 }}>Try a text</Typography.Title>}>
      <Space orientation="vertical" style={{ width: "100%" }}>
        <Input.TextArea aria-label="Text to check" rows={3} maxLength={4096} value={text} onChange={(event) => setText(event.target.value)} placeholder="Paste a message to see what the check finds" />
        <Button onClick={() => check.mutate(text)} disabled={!text.trim()} loading={check.isPending}>
          Check text
        </Button>
        <ProblemAlert error={check.error} />
        {verdict && (
          <section aria-label="Check result">
            <Space orientation="vertical" style={{ width: "100%" }}>
              <Typography.Text>
                Decision: <Tag color={DECISION_COLOR[verdict.decision]}>{verdict.decision}</Tag>
              </Typography.Text>
              <RiskScale score={verdict.risk_score} threshold={threshold} />
              {(verdict.reasons ?? []).length === 0 ? (
                <Typography.Text type="secondary">Nothing found.</Typography.Text>
              ) : (
                <Table<FoundReason> rowKey={(r) => `${r.code}-${r.span?.[0] ?? ""}-${r.message}`} size="small" columns={columns} dataSource={verdict.reasons ?? []} pagination={false} />
              )}
            </Space>
          </section>
        )}
      </Space>
    </Card>
  );
}

const CATEGORY_OPTIONS = ["scam", "profanity", "competitors", "regulated", "urgency", "custom"].map((c) => ({ value: c, label: c }));

function PhraseListsTab() {
  const lists = usePhraseLists();
  const update = useUpdatePhraseList();
  const remove = useDeletePhraseList();
  const [creating, setCreating] = useState(false);
  const { can } = usePermissions();

  const columns: TableProps<PhraseList>["columns"] = [
    { title: "Name", dataIndex: "name" },
    { title: "Category", dataIndex: "category", width: 130 },
    { title: "Default severity", dataIndex: "default_severity", width: 140, render: (s: string) => <Tag color={SEVERITY_COLOR[s]}>{s}</Tag> },
    { title: "Phrases", dataIndex: "phrase_count", width: 90 },
    { title: "Version", dataIndex: "version", width: 90 },
    {
      title: "Enabled",
      dataIndex: "enabled",
      width: 100,
      render: (enabled: boolean, list) => (
        <Switch
          checked={enabled}
          disabled={!can("safety:manage")}
          aria-label={`${list.name} enabled`}
          loading={update.isPending && update.variables?.id === list.id}
          onChange={(checked) => update.mutate({ id: list.id, body: { enabled: checked } })}
        />
      ),
    },
    {
      title: "Actions",
      key: "actions",
      width: 110,
      render: (_, list) => (
        <Popconfirm title={`Delete “${list.name}” and its phrases?`} okText="Delete" okButtonProps={{ danger: true }} onConfirm={() => remove.mutate(list.id)}>
          <PermittedButton permission="safety:manage" size="small" danger aria-label={`Delete ${list.name}`}>
            Delete
          </PermittedButton>
        </Popconfirm>
      ),
    },
  ];

  return (
    <Space orientation="vertical" style={{ width: "100%" }}>
      <Flex justify="space-between" align="center" wrap gap={8}>
        <Typography.Paragraph style={{ margin: 0 }}>
          Every phrase is matched however it is disguised (case, accents, look-alike letters, separators, leetspeak). A phrase at “block” stops a message, even at send time.
        </Typography.Paragraph>
        <PermittedButton permission="safety:manage" type="primary" onClick={() => setCreating(true)}>
          New phrase list
        </PermittedButton>
      </Flex>
      <ProblemAlert error={lists.error ?? update.error ?? remove.error} />
      <Table<PhraseList>
        rowKey="id"
        columns={columns}
        dataSource={lists.data ?? []}
        loading={lists.isLoading}
        pagination={false}
        expandable={{ expandedRowRender: (list) => <PhrasesOf list={list} />, expandRowByClick: false }}
        scroll={{ x: 800 }}
      />
      <NewListDialog open={creating} onClose={() => setCreating(false)} />
      <BuiltInLists />
      <TryText />
    </Space>
  );
}

function SenderHealthTab() {
  const health = useSenderHealth();
  const resume = useResumeSender();
  const { message } = App.useApp();
  const columns: TableProps<SenderHealth>["columns"] = [
    { title: "Sender", dataIndex: "sender_name", render: (name: string, row) => `${name} (${row.profile})` },
    {
      title: "Health",
      dataIndex: "badge",
      width: 170,
      render: (badge: string, row) => (
        <Tag color={BADGE_COLOR[badge]} aria-label={`Health: ${BADGE_LABEL[badge]}, score ${row.score}`}>
          {BADGE_LABEL[badge]} · {row.score}
        </Tag>
      ),
    },
    { title: "Sent (24 h)", dataIndex: "sent", width: 100 },
    { title: "FloodWaits", dataIndex: "flood_waits", width: 100 },
    { title: "Spam flags", dataIndex: "peer_floods", width: 100 },
    { title: "Blocks / 1000", dataIndex: "blocked_per_1000", width: 120 },
    { title: "Opt-outs / 1000", dataIndex: "opt_outs_per_1000", width: 130 },
    { title: "Spam replies / 1000", dataIndex: "spam_replies_per_1000", width: 150 },
    { title: "Today", key: "today", width: 110, render: (_, row) => (row.daily_cap ? `${row.sent_today} / ${row.daily_cap}` : row.sent_today) },
    {
      title: "Cool-down",
      key: "cooldown",
      render: (_, row) =>
        row.cooling_down ? (
          <Space orientation="vertical" size={2}>
            <Typography.Text>{row.cooldown_reason}</Typography.Text>
            <Typography.Text type="secondary">until {formatDateTime(row.cooldown_until)}</Typography.Text>
            <PermittedButton
              permission="safety:manage"
              size="small"
              loading={resume.isPending}
              onClick={() => resume.mutate(row.sender_id, { onSuccess: () => void message.success(`${row.sender_name} sends again.`) })}
            >
              Resume now
            </PermittedButton>
          </Space>
        ) : (
          <Typography.Text type="secondary">none</Typography.Text>
        ),
    },
  ];
  return (
    <Space orientation="vertical" style={{ width: "100%" }}>
      <Typography.Paragraph style={{ margin: 0 }}>
        A sender that Telegram flags for spam (PEER_FLOOD) rests for a day, one with ten FloodWaits in 24 hours for an hour, one that people block (30 in 1000), call spam in their replies (10 in 1000) or leave
        (50 in 1000) for six hours; its campaigns wait and nothing moves to another account. User accounts stop at their daily cap.
      </Typography.Paragraph>
      <ProblemAlert error={health.error ?? resume.error} />
      <Table<SenderHealth> rowKey="sender_id" columns={columns} dataSource={health.data ?? []} loading={health.isLoading} pagination={false} scroll={{ x: 1150 }} />
    </Space>
  );
}

type SettingsForm = Required<Pick<SafetySettingsUpdate, "four_eyes" | "review_deadline_h" | "review_threshold" | "privacy_policy" | "opt_out" | "link_allowlist">>;

const OPT_OUT_MODES = [
  { value: "add", label: "Add the opt-out line" },
  { value: "block", label: "Block the message" },
  { value: "off", label: "Send it as written" },
];

/** The fields the person changed: a rule left alone keeps following the deployment's settings. */
function changedSettings(values: SettingsForm, current: SafetySettings | undefined): SafetySettingsUpdate {
  if (!current) return values;
  const changed: SafetySettingsUpdate = {};
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  (Object.keys(values) as (keyof SettingsForm)[]).forEach((key) => {
    if (!same(values[key], current[key])) Object.assign(changed, { [key]: values[key] });
  });
  return changed;
}

function SettingsTab() {
  const settings = useSafetySettings();
  const update = useUpdateSafetySettings();
  const [form] = Form.useForm<SettingsForm>();
  const { message } = App.useApp();
  const { can } = usePermissions();
  const manage = can("safety:manage");
  useEffect(() => {
    if (settings.data) form.setFieldsValue(settings.data);
  }, [settings.data, form]);

  return (
    <Card>
      <ProblemAlert error={settings.error ?? update.error} />
      <Form
        form={form}
        layout="vertical"
        name="safety-settings"
        disabled={!manage}
        onFinish={(values) => update.mutate(changedSettings(values, settings.data), { onSuccess: () => void message.success("Safety settings saved.") })}
        style={{ maxWidth: 720 }}
      >
        <Form.Item
          label="Four eyes: nobody approves content they created or last edited"
          name="four_eyes"
          valuePropName="checked"
          extra="Only an admin who is the workspace's only approver can turn it off (audited); it comes back on when someone else who may approve reviews joins."
        >
          <Switch />
        </Form.Item>
        <Form.Item
          label="A bot's marketing message without a way out"
          name="opt_out"
          extra={`Applied to the exact text of each message when it is sent.${settings.data?.content_rules_source === "deployment" ? " Now as the deployment's settings say (MA_SAFETY_OPT_OUT)." : ""}`}
        >
          <Select options={OPT_OUT_MODES} style={{ maxWidth: 360 }} />
        </Form.Item>
        <Form.Item
          label="Domains links may point to"
          name="link_allowlist"
          extra="Type a domain and press Enter; links elsewhere are flagged. Empty allows any domain."
        >
          <Select mode="tags" tokenSeparators={[",", " "]} placeholder="any domain" open={false} suffixIcon={null} />
        </Form.Item>
        <Form.Item
          label="Review threshold (risk score, 0 safe to 1 risky)"
          name="review_threshold"
          rules={[{ required: true, type: "number", min: 0.05, max: 1, message: "Between 0.05 and 1" }]}
          extra={`A campaign whose risk score reaches it waits for a person's review, and the send-time check says “review” from it.${settings.data?.review_threshold_source === "deployment" ? " Now as the deployment's settings say (MA_REVIEW_RISK_THRESHOLD)." : ""}`}
        >
          <InputNumber min={0.05} max={1} step={0.05} precision={2} />
        </Form.Item>
        <Form.Item label="Review deadline (hours)" name="review_deadline_h" rules={[{ required: true, type: "number", min: 1, max: 720 }]} extra="After it a review is marked late and the campaign's creator is told; the campaign stays held.">
          <InputNumber min={1} max={720} />
        </Form.Item>
        <Form.Item label="Privacy policy (the bots' answer to /privacy)" name="privacy_policy" rules={[{ required: true, whitespace: true, message: "Telegram asks every bot for a privacy policy" }]}>
          <Input.TextArea rows={5} maxLength={4000} showCount />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={update.isPending}>
          Save settings
        </Button>
        {settings.data?.updated_at && (
          <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>
            Last changed by {settings.data.updated_by} on {formatDateTime(settings.data.updated_at)}.
          </Typography.Paragraph>
        )}
      </Form>
    </Card>
  );
}

export default function SafetyPage() {
  return (
    <>
      <Typography.Title level={2}>Safety</Typography.Title>
      <Tabs
        items={[
          { key: "lists", label: "Phrase lists", children: <PhraseListsTab /> },
          { key: "health", label: "Sender health", children: <SenderHealthTab /> },
          { key: "settings", label: "Review and privacy", children: <SettingsTab /> },
        ]}
      />
    </>
  );
}
