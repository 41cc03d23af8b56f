/** Campaigns the safety guard flagged, waiting for a person: approve (it is scheduled) or reject (cancelled). */
import { App, Button, Card, Flex, Form, Input, Modal, Segmented, Space, Table, Tag, Typography } from "antd";
import type { TableProps } from "antd";
import { useState } from "react";
import { Link } from "react-router";

import { useDecideReview, useReviews, type ReviewDecision } from "../../api/reviews";
import type { ReviewItem, ReviewStatus } from "../../api/types";
import { formatDateTime } from "../../components/format";
import { ProblemAlert } from "../../components/ProblemAlert";
import { FlaggedText } from "../../components/FlaggedText";
import { RiskReasons, RiskScore } from "../../components/Risk";
import { AssignDialog, Assignment, ChangesDialog, FlaggedTexts } from "./ReviewProcess";

const PAGE_SIZE = 20;
const REVIEW_STATUS_COLOR: Record<ReviewStatus, string> = { open: "warning", approved: "success", rejected: "error", changes_requested: "processing" };

interface Pending {
  item: ReviewItem;
  decision: ReviewDecision;
}

function DecisionDialog({ pending, onClose }: { pending: Pending | null; onClose: () => void }) {
  const [form] = Form.useForm<{ note?: string }>();
  const decide = useDecideReview();
  const { message } = App.useApp();
  const approving = pending?.decision === "approve";
  const verb = approving ? "Approve" : "Reject";

  const submit = async () => {
    if (!pending) return;
    const { note } = await form.validateFields();
    decide.mutate(
      { id: pending.item.id, decision: pending.decision, note },
      {
        onSuccess: () => {
          void message.success(
            approving ? `Approved “${pending.item.campaign_name}”: it is scheduled to send.` : `Rejected “${pending.item.campaign_name}”: it is cancelled.`,
          );
          onClose();
        },
      },
    );
  };

  return (
    <Modal
      open={pending !== null}
      title={pending ? `${verb} “${pending.item.campaign_name}”?` : ""}
      okText={verb}
      okButtonProps={{ danger: !approving, loading: decide.isPending }}
      cancelText="Back"
      onOk={submit}
      onCancel={onClose}
      destroyOnHidden
      afterOpenChange={(open) => {
        if (!open) decide.reset();
      }}
    >
      <Typography.Paragraph>
        {approving
          ? "The campaign will be scheduled and starts sending at once unless it has a later start time."
          : "The campaign will be cancelled and nothing will be sent."}
      </Typography.Paragraph>
      <ProblemAlert error={decide.error} />
      <Form form={form} layout="vertical" name="review-decision" preserve={false}>
        <Form.Item label="Note (optional)" name="note">
          <Input.TextArea rows={3} maxLength={2000} placeholder="Why, for the audit log" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** Each text of the campaign as checked, the flagged spans highlighted beside the reasons. */
function CheckedTexts({ item }: { item: ReviewItem }) {
  const texts = item.texts ?? [];
  if (texts.length === 0) return <Typography.Text type="secondary">—</Typography.Text>;
  return (
    <Space orientation="vertical" size={8} style={{ width: "100%" }}>
      {texts.map((t) => {
        const label = `Variant ${t.variant_key}${t.language ? ` (${t.language})` : ""}`;
        const reasons = item.risk_reasons.filter((r) => r.variant_key === t.variant_key && (r.language ?? null) === (t.language ?? null));
        return (
          <section key={label} aria-label={`${label} of ${item.campaign_name}`}>
            <Typography.Text type="secondary" style={{ fontSize: 12, display: "block" }}>
              {label}
            </Typography.Text>
            <FlaggedText text={t.text} reasons={reasons} />
          </section>
        );
      })}
    </Space>
  );
}

export default function ReviewQueuePage() {
  const [status, setStatus] = useState<ReviewStatus>("open");
  const [page, setPage] = useState(1);
  const [pending, setPending] = useState<Pending | null>(null);
  const [assigning, setAssigning] = useState<ReviewItem | null>(null);
  const [asking, setAsking] = useState<ReviewItem | null>(null);
  const reviews = useReviews(status, PAGE_SIZE, (page - 1) * PAGE_SIZE);

  const columns: TableProps<ReviewItem>["columns"] = [
    {
      title: "Campaign",
      dataIndex: "campaign_name",
      render: (name: string, item) => <Link to={`/campaigns/${item.campaign_id}`}>{name}</Link>,
    },
    { title: "Risk", dataIndex: "risk_score", width: 100, render: (score: number) => <RiskScore score={score} /> },
    { title: "Message texts", key: "texts", width: 360, render: (_, item) => <CheckedTexts item={item} /> },
    {
      title: "Why it is here",
      key: "reasons",
      render: (_, item) => (
        <Space orientation="vertical" size={4}>
          {item.reason && <Typography.Text strong>{item.reason}</Typography.Text>}
          <RiskReasons reasons={item.risk_reasons} compact />
        </Space>
      ),
    },
    { title: "Raised", dataIndex: "created_at", width: 170, render: (iso: string) => formatDateTime(iso) },
    { title: "Assigned", key: "assignment", width: 190, render: (_, item) => <Assignment item={item} /> },
    status === "open"
      ? {
          title: "Decision",
          key: "decision",
          width: 260,
          render: (_, item) => (
            <Space wrap>
              <Button type="primary" onClick={() => setPending({ item, decision: "approve" })}>
                Approve
              </Button>
              <Button danger onClick={() => setPending({ item, decision: "reject" })}>
                Reject
              </Button>
              <Button onClick={() => setAsking(item)}>Request changes</Button>
              <Button onClick={() => setAssigning(item)}>Assign</Button>
            </Space>
          ),
        }
      : {
          title: "Decision",
          key: "decision",
          width: 260,
          render: (_, item) => (
            <Space orientation="vertical" size={2}>
              <span>
                <Tag color={REVIEW_STATUS_COLOR[item.status]}>{item.status}</Tag>
                {item.decided_by && <Typography.Text type="secondary">by {item.decided_by}</Typography.Text>}
              </span>
              <Typography.Text type="secondary">{formatDateTime(item.decided_at)}</Typography.Text>
              {item.note && <Typography.Text italic>“{item.note}”</Typography.Text>}
            </Space>
          ),
        },
  ];

  return (
    <>
      <Flex justify="space-between" align="center" style={{ marginBottom: 16 }} gap={12} wrap>
        <Typography.Title level={2} style={{ margin: 0 }}>
          Review queue
        </Typography.Title>
        <Segmented<ReviewStatus>
          aria-label="Show reviews"
          value={status}
          onChange={(value) => {
            setStatus(value);
            setPage(1);
          }}
          options={[
            { value: "open", label: "Open" },
            { value: "approved", label: "Approved" },
            { value: "rejected", label: "Rejected" },
            { value: "changes_requested", label: "Changes requested" },
          ]}
        />
      </Flex>
      <ProblemAlert error={reviews.error} />
      <Card styles={{ body: { padding: 0 } }}>
        <Table<ReviewItem>
          rowKey="id"
          columns={columns}
          dataSource={reviews.data?.items ?? []}
          loading={reviews.isLoading}
          scroll={{ x: "max-content" }}
          pagination={{
            current: page,
            pageSize: PAGE_SIZE,
            total: reviews.data?.total ?? 0,
            showSizeChanger: false,
            hideOnSinglePage: true,
            onChange: setPage,
          }}
          locale={{ emptyText: status === "open" ? "Nothing waiting for review." : "None yet." }}
          expandable={{ expandedRowRender: (item) => <FlaggedTexts item={item} /> }}
        />
      </Card>
      <DecisionDialog pending={pending} onClose={() => setPending(null)} />
      <AssignDialog item={assigning} onClose={() => setAssigning(null)} />
      <ChangesDialog item={asking} onClose={() => setAsking(null)} />
    </>
  );
}
