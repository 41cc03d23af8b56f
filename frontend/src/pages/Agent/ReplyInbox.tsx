/** Recipients' replies: opt-outs were unsubscribed on arrival; the rest wait for a person to send (or edit) the suggested answer. */
import { App, Button, Card, Empty, Flex, Input, Pagination, Segmented, Space, Tag, Typography } from "antd";
import { useState } from "react";
import { Link } from "react-router";

import { useAnswerReply, useDismissReply, useInbox, type InboxReply, type InboxStatus } from "../../api/agent";
import { formatDateTime } from "../../components/format";
import { ProblemAlert } from "../../components/ProblemAlert";

const PAGE_SIZE = 20;
const INTENT_LABEL: Record<string, string> = {
  opt_out: "Opt-out",
  complaint: "Complaint",
  purchase_intent: "Wants to buy",
  question: "Question",
  other: "Other",
};
const INTENT_COLOR: Record<string, string> = {
  opt_out: "default",
  complaint: "error",
  purchase_intent: "success",
  question: "processing",
  other: "default",
};
const STATUS_LABEL: Record<InboxStatus, string> = {
  open: "Open",
  opted_out: "Unsubscribed automatically",
  answered: "Answered",
  dismissed: "Dismissed",
};

function ReplyCard({ reply }: { reply: InboxReply }) {
  const [text, setText] = useState(reply.suggested_answer ?? "");
  const answer = useAnswerReply();
  const dismiss = useDismissReply();
  const { message } = App.useApp();
  return (
    <Card size="small" aria-label={`Reply ${reply.id}`}>
      <Space wrap style={{ marginBottom: 8 }}>
        <Tag color={INTENT_COLOR[reply.intent] ?? "default"}>{INTENT_LABEL[reply.intent] ?? reply.intent}</Tag>
        <Tag>{STATUS_LABEL[reply.status]}</Tag>
        <Link to={`/contacts/${reply.contact_id}`}>Contact #{reply.contact_id}</Link>
        {reply.campaign_id ? <Link to={`/campaigns/${reply.campaign_id}`}>Campaign #{reply.campaign_id}</Link> : null}
        <Typography.Text type="secondary">{formatDateTime(reply.received_at)}</Typography.Text>
      </Space>
      <Typography.Paragraph style={{ whiteSpace: "pre-wrap" }}>“{reply.text}”</Typography.Paragraph>
      {reply.status === "opted_out" ? (
        <Typography.Paragraph type="secondary">Consent was withdrawn the moment this reply arrived.</Typography.Paragraph>
      ) : null}
      {reply.status === "answered" ? (
        <Typography.Paragraph>
          Answered by {reply.answered_by}: “{reply.answer_text}”
        </Typography.Paragraph>
      ) : null}
      {reply.status === "open" ? (
        <Flex vertical gap={8}>
          <Input.TextArea
            aria-label={`Answer to reply ${reply.id}`}
            rows={3}
            maxLength={4096}
            value={text}
            placeholder="Write an answer"
            onChange={(event) => setText(event.target.value)}
          />
          <ProblemAlert error={answer.error ?? dismiss.error} />
          <Space>
            <Button
              type="primary"
              disabled={!text.trim()}
              loading={answer.isPending}
              onClick={() =>
                answer.mutate({ id: reply.id, text: text.trim() }, { onSuccess: () => void message.success("Answer sent.") })
              }
            >
              Send answer
            </Button>
            <Button loading={dismiss.isPending} onClick={() => dismiss.mutate(reply.id)}>
              Dismiss
            </Button>
          </Space>
        </Flex>
      ) : null}
    </Card>
  );
}

export function ReplyInbox() {
  const [status, setStatus] = useState<InboxStatus | "all">("open");
  const [page, setPage] = useState(1);
  const inbox = useInbox(status === "all" ? undefined : status, PAGE_SIZE, (page - 1) * PAGE_SIZE);
  return (
    <Flex vertical gap={12}>
      <Typography.Paragraph type="secondary">
        Replies are sorted by what they want. An opt-out in any language unsubscribes the person at once; nothing else is
        ever sent without a person pressing Send.
      </Typography.Paragraph>
      <Segmented
        aria-label="Show replies"
        value={status}
        onChange={(value) => {
          setStatus(value as InboxStatus | "all");
          setPage(1);
        }}
        options={[
          { value: "open", label: "Open" },
          { value: "opted_out", label: "Opt-outs" },
          { value: "answered", label: "Answered" },
          { value: "dismissed", label: "Dismissed" },
          { value: "all", label: "All" },
        ]}
      />
      <ProblemAlert error={inbox.error} />
      {inbox.data && inbox.data.items.length === 0 ? <Empty description="No replies here" /> : null}
      {inbox.data?.items.map((reply) => <ReplyCard key={`${reply.id}-${reply.status}`} reply={reply} />)}
      {inbox.data && inbox.data.total > PAGE_SIZE ? (
        <Pagination current={page} pageSize={PAGE_SIZE} total={inbox.data.total} onChange={setPage} />
      ) : null}
    </Flex>
  );
}
