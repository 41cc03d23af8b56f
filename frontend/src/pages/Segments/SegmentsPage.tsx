/** Segments: the list with each size as last counted (on save, by the scheduler every 10 minutes, or by
 * "Recount") and when, and a builder (tags any/all, attributes, language, consent, time zone,
 * and conditions on behaviour, purchases and attributes) that shows how many contacts match right now and a
 * sample of them, counted by the API in the database. */
import { PlusOutlined } from "@ant-design/icons";
import { App, Button, Card, Drawer, Flex, Form, Input, Popconfirm, Select, Space, Table, Typography } from "antd";
import type { TableProps } from "antd";
import { useEffect, useState } from "react";

import { useDeleteSegment, useRecountSegment, useSaveSegment, useSegmentPreview } from "../../api/admin";
import { asApiError, formPath } from "../../api/problem";
import { useSegments } from "../../api/directory";
import type { Contact, Segment, SegmentFilter } from "../../api/types";
import { usePermissions } from "../../auth/permissions";
import { ConsentTag } from "../../components/ConsentTag";
import { formatCount, formatDateTime } from "../../components/format";
import { PermittedButton } from "../../components/Permitted";
import { ProblemAlert } from "../../components/ProblemAlert";
import { useNotifyProblem } from "../../components/useNotifyProblem";
import { ConditionsEditor } from "./ConditionsEditor";
import { describeCondition, toCondition, toRow } from "./conditions";
import type { Condition, ConditionRow } from "./conditions";

type Consent = NonNullable<SegmentFilter["consent"]>;

const CONSENT_OPTIONS: { value: Consent; label: string }[] = [
  { value: "any", label: "Any" },
  { value: "granted", label: "Consented" },
  { value: "withdrawn", label: "Withdrawn" },
  { value: "none", label: "No consent recorded" },
];

/** "tags any of vip, new · language en": only the parts of the filter that are set. */
export function describeFilter(filter: SegmentFilter): string {
  const parts: string[] = [];
  if (filter.tags_any?.length) parts.push(`tags any of ${filter.tags_any.join(", ")}`);
  if (filter.tags_all?.length) parts.push(`tags all of ${filter.tags_all.join(", ")}`);
  if (filter.languages?.length) parts.push(`language ${filter.languages.join(", ")}`);
  if (filter.timezones?.length) parts.push(`time zone ${filter.timezones.join(", ")}`);
  if (filter.consent && filter.consent !== "any") parts.push(`consent ${filter.consent}`);
  for (const [key, value] of Object.entries(filter.attributes ?? {})) parts.push(`${key} = ${JSON.stringify(value)}`);
  const conditions = (filter.conditions ?? []).map(describeCondition);
  if (conditions.length) parts.push(conditions.join(filter.match === "any" ? " or " : " and "));
  return parts.join(" · ") || "everyone";
}

interface BuilderValues {
  name: string;
  tags_any: string[];
  tags_all: string[];
  languages: string[];
  timezones: string[];
  consent: Consent;
  attributes: string;
  match: "all" | "any";
  conditions: ConditionRow[];
}

/** "city=Berlin, plan=pro" → {city: "Berlin", plan: "pro"}. */
function parseAttributes(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const part of text.split(",")) {
    const [key, ...rest] = part.split("=");
    if (key?.trim() && rest.length) result[key.trim()] = rest.join("=").trim();
  }
  return result;
}

function toFilter(values: Partial<BuilderValues>): SegmentFilter {
  return {
    tags_any: values.tags_any ?? [],
    tags_all: values.tags_all ?? [],
    languages: values.languages ?? [],
    timezones: values.timezones ?? [],
    consent: values.consent ?? "any",
    attributes: parseAttributes(values.attributes ?? ""),
    match: values.match ?? "all",
    // Rows still being filled in are left out of the count (and Save asks for what they lack).
    conditions: (values.conditions ?? []).map(toCondition).filter((c): c is Condition => c !== null),
  };
}

/** The server's message for each condition row (by the row's place in the form), from a 422 on the
 * preview (whose conditions are the complete rows only) or on Save. */
function rowErrors(error: unknown, rows: ConditionRow[] | undefined, saved: boolean): Record<number, string> {
  if (!error) return {};
  const complete = (rows ?? []).map((row, index) => [toCondition(row), index] as const).filter(([c]) => c !== null);
  const result: Record<number, string> = {};
  for (const e of asApiError(error).errors) {
    const path = formPath(e.loc);
    const [first, second, third] = path[0] === "filter" ? path.slice(1) : path;
    if (first !== "conditions" || typeof second !== "number") continue;
    const row = saved ? second : complete[second]?.[1];
    if (row !== undefined) result[row] = `${third ? `${String(third)}: ` : ""}${e.msg}`;
  }
  return result;
}

function useDebounced<T>(value: T, ms: number): T {
  const [current, setCurrent] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setCurrent(value), ms);
    return () => window.clearTimeout(timer);
  }, [value, ms]);
  return current;
}

function SegmentBuilder({ segment, open, onClose }: { segment: Segment | null; open: boolean; onClose: () => void }) {
  const [form] = Form.useForm<BuilderValues>();
  const watched = Form.useWatch([], form) as Partial<BuilderValues> | undefined;
  const filter = useDebounced(toFilter(watched ?? {}), 250);
  const preview = useSegmentPreview(filter, open);
  const save = useSaveSegment();
  const { message } = App.useApp();
  const tagMode = { mode: "tags" as const, tokenSeparators: [",", " "], open: false, suffixIcon: null };

  useEffect(() => {
    if (!open) return;
    const f = segment?.filter;
    form.setFieldsValue({
      name: segment?.name ?? "",
      tags_any: f?.tags_any ?? [],
      tags_all: f?.tags_all ?? [],
      languages: f?.languages ?? [],
      timezones: f?.timezones ?? [],
      consent: f?.consent ?? "any",
      attributes: Object.entries(f?.attributes ?? {})
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(", "),
      match: f?.match ?? "all",
      conditions: (f?.conditions ?? []).map(toRow),
    });
  }, [open, segment, form]);

  const submit = async () => {
    const values = await form.validateFields();
    save.mutate(
      { id: segment?.id, name: values.name, filter: toFilter(values) },
      {
        onSuccess: (saved) => {
          void message.success(`Saved “${saved.name}”: ${formatCount(saved.size)} contacts`);
          onClose();
        },
      },
    );
  };

  return (
    <Drawer
      title={segment ? `Edit “${segment.name}”` : "New segment"}
      open={open}
      onClose={onClose}
      size={Math.min(860, window.innerWidth)}
      destroyOnHidden
      footer={
        <Flex justify="end" gap={8}>
          <Button onClick={onClose}>Close</Button>
          <Button type="primary" loading={save.isPending} onClick={submit}>
            Save segment
          </Button>
        </Flex>
      }
    >
      <ProblemAlert error={save.error} />
      <Form form={form} layout="vertical" initialValues={{ consent: "any", match: "all", conditions: [] }}>
        <Form.Item name="name" label="Name" rules={[{ required: true, message: "Name the segment" }]}>
          <Input maxLength={128} />
        </Form.Item>
        <Form.Item name="tags_any" label="Has any of these tags">
          <Select {...tagMode} aria-label="Has any of these tags" placeholder="Type a tag and press Enter" />
        </Form.Item>
        <Form.Item name="tags_all" label="Has all of these tags">
          <Select {...tagMode} aria-label="Has all of these tags" placeholder="Type a tag and press Enter" />
        </Form.Item>
        <Form.Item name="languages" label="Language">
          <Select {...tagMode} aria-label="Language" placeholder="en, de, …" />
        </Form.Item>
        <Form.Item name="timezones" label="Time zone">
          <Select {...tagMode} aria-label="Time zone" placeholder="Europe/Berlin, …" />
        </Form.Item>
        <Form.Item name="consent" label="Consent">
          <Select aria-label="Consent" options={CONSENT_OPTIONS} />
        </Form.Item>
        <Form.Item name="attributes" label="Attributes" extra="key=value, separated by commas, e.g. city=Berlin">
          <Input />
        </Form.Item>
        <ConditionsEditor
          form={form}
          errors={{ ...rowErrors(preview.error, watched?.conditions, false), ...rowErrors(save.error, watched?.conditions, true) }}
        />
      </Form>
      <Card size="small" title="Matching now">
        <section aria-label="Matching contacts">
          <ProblemAlert error={preview.error} />
          <Typography.Paragraph>
            <span role="status" aria-live="polite" aria-label="Matching contacts count">
              {preview.data
                ? `${formatCount(preview.data.size)} ${preview.data.size === 1 ? "contact matches" : "contacts match"}`
                : "Counting…"}
            </span>
          </Typography.Paragraph>
          <Table<Contact>
            rowKey="id"
            size="small"
            pagination={false}
            scroll={{ x: "max-content" }}
            dataSource={preview.data?.sample ?? []}
            columns={[
              { title: "Name", render: (_, c) => c.first_name ?? c.username ?? c.telegram_id },
              { title: "Tags", dataIndex: "tags", render: (tags?: string[]) => (tags ?? []).join(", ") || "—" },
              { title: "Language", dataIndex: "language" },
              { title: "Consent", dataIndex: "consent", render: (state: Contact["consent"]) => <ConsentTag state={state} /> },
            ]}
          />
        </section>
      </Card>
    </Drawer>
  );
}

export default function SegmentsPage() {
  const segments = useSegments();
  const remove = useDeleteSegment();
  const recount = useRecountSegment();
  const { can } = usePermissions();
  const notifyProblem = useNotifyProblem();
  const [editing, setEditing] = useState<Segment | null>(null);
  const [open, setOpen] = useState(false);

  const columns: TableProps<Segment>["columns"] = [
    { title: "Segment", dataIndex: "name" },
    {
      title: "Contacts",
      dataIndex: "size",
      align: "right",
      render: (n: number | null) => (n == null ? "not counted yet" : formatCount(n)),
    },
    {
      title: "Counted at",
      dataIndex: "size_counted_at",
      render: (at: string | null) => (
        <Typography.Text type="secondary">{at ? formatDateTime(at) : "—"}</Typography.Text>
      ),
    },
    { title: "Filter", dataIndex: "filter", render: (filter: SegmentFilter) => describeFilter(filter) },
    {
      title: "Actions",
      key: "actions",
      render: (_, segment) => (
        <Space size={4}>
          <Button
            size="small"
            aria-label={`Recount ${segment.name}`}
            loading={recount.isPending && recount.variables === segment.id}
            onClick={() => recount.mutate(segment.id, { onError: notifyProblem })}
          >
            Recount
          </Button>
          <PermittedButton
            permission="campaigns:write"
            size="small"
            aria-label={`Edit ${segment.name}`}
            onClick={() => {
              setEditing(segment);
              setOpen(true);
            }}
          >
            Edit
          </PermittedButton>
          <Popconfirm
            title={`Delete “${segment.name}”?`}
            okText="Delete"
            okButtonProps={{ danger: true }}
            disabled={!can("campaigns:write")}
            onConfirm={() => remove.mutate(segment.id, { onError: notifyProblem })}
          >
            <PermittedButton permission="campaigns:write" size="small" danger aria-label={`Delete ${segment.name}`}>
              Delete
            </PermittedButton>
          </Popconfirm>
        </Space>
      ),
    },
  ];

  return (
    <>
      <Flex justify="space-between" align="center" gap={12} wrap style={{ marginBottom: 16 }}>
        <Typography.Title level={2} style={{ margin: 0 }}>
          Segments
        </Typography.Title>
        <PermittedButton
          permission="campaigns:write"
          type="primary"
          icon={<PlusOutlined aria-hidden />}
          onClick={() => {
            setEditing(null);
            setOpen(true);
          }}
        >
          New segment
        </PermittedButton>
      </Flex>
      <ProblemAlert error={segments.error} />
      <Card styles={{ body: { padding: 0 } }}>
        <Table<Segment>
          rowKey="id"
          columns={columns}
          dataSource={segments.data?.items ?? []}
          loading={segments.isLoading}
          pagination={false}
          scroll={{ x: "max-content" }}
          locale={{ emptyText: "No segments yet: build one with “New segment”." }}
        />
      </Card>
      <SegmentBuilder segment={editing} open={open} onClose={() => setOpen(false)} />
    </>
  );
}
