/** The review process around an item: who should decide by when, a request for changes, and the flagged spans of each text. */
import { App, Form, Input, Modal, Space, Tag, Typography } from "antd";
import type { ReactNode } from "react";

import { useCampaign } from "../../api/campaigns";
import { useAssignReview, useContentCheck, useRequestChanges } from "../../api/safety";
import type { ReviewItem } from "../../api/types";
import { formatDateTime } from "../../components/format";
import { ProblemAlert } from "../../components/ProblemAlert";

/** The assignee, the deadline and whether it has passed. */
export function Assignment({ item }: { item: ReviewItem }) {
  if (!item.assignee && !item.due_at) return <Typography.Text type="secondary">Unassigned</Typography.Text>;
  return (
    <Space orientation="vertical" size={2}>
      {item.assignee && <Typography.Text>{item.assignee}</Typography.Text>}
      {item.due_at && <Typography.Text type="secondary">due {formatDateTime(item.due_at)}</Typography.Text>}
      {item.overdue_at && <Tag color="error">Overdue: creator told</Tag>}
    </Space>
  );
}

export function AssignDialog({ item, onClose }: { item: ReviewItem | null; onClose: () => void }) {
  const [form] = Form.useForm<{ assignee: string; due_at?: string }>();
  const assign = useAssignReview();
  const { message } = App.useApp();
  const submit = async () => {
    if (!item) return;
    const values = await form.validateFields();
    const dueAt = values.due_at ? new Date(values.due_at).toISOString() : undefined;
    assign.mutate(
      { id: item.id, assignee: values.assignee.trim(), dueAt },
      {
        onSuccess: (assigned) => {
          void message.success(`Assigned to ${assigned.assignee}, due ${formatDateTime(assigned.due_at)}.`);
          onClose();
        },
      },
    );
  };
  return (
    <Modal
      open={item !== null}
      title={item ? `Assign “${item.campaign_name}”` : ""}
      okText="Assign"
      okButtonProps={{ loading: assign.isPending }}
      cancelText="Back"
      onOk={submit}
      onCancel={onClose}
      destroyOnHidden
      afterOpenChange={(open) => !open && assign.reset()}
    >
      <ProblemAlert error={assign.error} />
      <Form form={form} layout="vertical" name="assign-review" preserve={false}>
        <Form.Item label="Reviewer (username)" name="assignee" rules={[{ required: true, whitespace: true, message: "Name the reviewer" }]}>
          <Input maxLength={128} />
        </Form.Item>
        <Form.Item label="Due by (optional)" name="due_at" extra="Left empty: the workspace's review deadline from now.">
          <Input type="datetime-local" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

export function ChangesDialog({ item, onClose }: { item: ReviewItem | null; onClose: () => void }) {
  const [form] = Form.useForm<{ note: string }>();
  const ask = useRequestChanges();
  const { message } = App.useApp();
  const submit = async () => {
    if (!item) return;
    const { note } = await form.validateFields();
    ask.mutate(
      { id: item.id, note: note.trim() },
      {
        onSuccess: () => {
          void message.success(`“${item.campaign_name}” is back with its author as a draft.`);
          onClose();
        },
      },
    );
  };
  return (
    <Modal
      open={item !== null}
      title={item ? `Request changes to “${item.campaign_name}”` : ""}
      okText="Request changes"
      okButtonProps={{ loading: ask.isPending }}
      cancelText="Back"
      onOk={submit}
      onCancel={onClose}
      destroyOnHidden
      afterOpenChange={(open) => !open && ask.reset()}
    >
      <Typography.Paragraph>The campaign goes back to draft; its author sees your note and submits it again.</Typography.Paragraph>
      <ProblemAlert error={ask.error} />
      <Form form={form} layout="vertical" name="request-changes" preserve={false}>
        <Form.Item label="What should change" name="note" rules={[{ required: true, whitespace: true, message: "Say what should change" }]}>
          <Input.TextArea rows={3} maxLength={2000} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** A text with the safety guard's flagged spans marked, each with its reason on hover and for screen readers. */
function FlaggedText({ label, text }: { label: string; text: string }) {
  const check = useContentCheck(text);
  const spans: { start: number; end: number; why: string; severity: string }[] = [];
  for (const reason of check.data?.reasons ?? []) {
    const [start, end] = reason.span ?? [];
    if (start !== undefined && end !== undefined && end > start) spans.push({ start, end, why: reason.message, severity: reason.severity });
  }
  spans.sort((a, b) => a.start - b.start);
  const parts: ReactNode[] = [];
  let at = 0;
  for (const span of spans) {
    if (span.start < at) continue; // overlapping: the first one shown
    parts.push(text.slice(at, span.start));
    parts.push(
      <mark key={span.start} title={span.why} aria-label={`Flagged: ${span.why}`} style={{ background: span.severity === "block" ? "#ffccc7" : "#fff1b8" }}>
        {text.slice(span.start, span.end)}
      </mark>,
    );
    at = span.end;
  }
  parts.push(text.slice(at));
  return (
    <div>
      <Typography.Text strong>{label}</Typography.Text>
      <Typography.Paragraph style={{ whiteSpace: "pre-wrap", marginBottom: 8 }}>{parts}</Typography.Paragraph>
    </div>
  );
}

/** Every text of the item's campaign, with what the safety guard flagged in it. */
export function FlaggedTexts({ item }: { item: ReviewItem }) {
  const campaign = useCampaign(item.campaign_id);
  if (campaign.error) return <ProblemAlert error={campaign.error} />;
  if (!campaign.data) return <Typography.Text type="secondary">Loading the texts…</Typography.Text>;
  return (
    <section aria-label={`Texts of ${item.campaign_name}`}>
      {campaign.data.variants.map((variant) => (
        <FlaggedText key={variant.key} label={`Variant ${variant.key}`} text={variant.text} />
      ))}
    </section>
  );
}
