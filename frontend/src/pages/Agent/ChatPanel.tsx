/** A conversation with the strategist: each answer shows the tool calls it made and the sources it cites. */
import { Alert, Button, Card, Collapse, Flex, Input, List, Space, Tag, Typography } from "antd";
import { useState } from "react";
import { Link } from "react-router";

import {
  useAskStreaming,
  useBudget,
  useProvider,
  type ChatAnswer,
  type ChatStep,
  type ChatStreamEvent,
  type ChatTurn,
} from "../../api/agent";
import { useCreateCampaign, useUpdateCampaign } from "../../api/campaigns";
import { formatDateTime, formatPercent, formatUsdMicros } from "../../components/format";
import { ProblemAlert } from "../../components/ProblemAlert";
import { CampaignContext } from "./CampaignBudget";

interface Exchange {
  question: string;
  answer: ChatAnswer;
}

const STEP_COLOR = { ok: "success", refused: "error", error: "warning" } as const;

function BudgetLine() {
  const budget = useBudget();
  const provider = useProvider();
  if (!budget.data) return null;
  const { day, month } = budget.data;
  const text =
    `LLM spend today ${formatUsdMicros(day.spent_usd_micros)} of ${formatUsdMicros(day.limit_usd_micros)} ` +
    `(${formatPercent(day.used_share, 0)}), this month ${formatUsdMicros(month.spent_usd_micros)} of ` +
    `${formatUsdMicros(month.limit_usd_micros)} (${formatPercent(month.used_share, 0)}).`;
  const who = provider.data ? ` ${provider.data.detail}` : "";
  if (budget.data.exhausted)
    return <Alert type="error" showIcon title="The LLM budget is used up: the strategist stops until it resets." description={text + who} />;
  if (budget.data.warning)
    return <Alert type="warning" showIcon title="Over 80% of the LLM budget is used." description={text + who} />;
  return <Typography.Paragraph type="secondary">{text + who}</Typography.Paragraph>;
}

/** The answer's text with each citation marker ("[S2]") as a tag naming its tool. */
function Cited({ answer }: { answer: ChatAnswer }) {
  const byId = new Map(answer.sources.map((s) => [s.id, s]));
  const parts = answer.answer.split(/(\[S\d+\])/g);
  return (
    <Typography.Paragraph style={{ whiteSpace: "pre-wrap" }}>
      {parts.map((part, index) => {
        const id = /^\[(S\d+)\]$/.exec(part)?.[1];
        const source = id ? byId.get(id) : undefined;
        if (!id) return <span key={index}>{part}</span>;
        return (
          <Tag key={index} color="blue" title={source ? `${source.tool}: ${source.summary}` : "no such source"}>
            {id}
            {source ? ` · ${source.tool}` : ""}
          </Tag>
        );
      })}
    </Typography.Paragraph>
  );
}

type Proposal = NonNullable<ChatAnswer["proposals"]>[number];

/** The proposed texts, each with the safety guard's verdict. */
function ProposedVariants({ variants }: { variants: Proposal["variants"] }) {
  return (
    <List
      size="small"
      dataSource={variants}
      renderItem={(variant) => (
        <List.Item>
          <Space align="start">
            <Tag>{variant.key}</Tag>
            <Typography.Text style={{ whiteSpace: "pre-wrap" }}>{variant.text}</Typography.Text>
            <Tag color={variant.allowed ? "success" : "error"}>
              {variant.allowed ? "safety ok" : "blocked"} · risk {formatPercent(variant.risk_score, 0)}
            </Tag>
          </Space>
        </List.Item>
      )}
    />
  );
}

/** A draft the strategist proposed: nothing exists until the person clicks "Create draft"; the
 * campaign is then marked AI-generated and goes through review like any other. */
function ProposalCard({ proposal }: { proposal: Proposal }) {
  const create = useCreateCampaign();
  const created = create.data;
  return (
    <Card size="small" type="inner" title={`Proposed draft: ${proposal.name}`} aria-label={`Proposed draft ${proposal.name}`}>
      {proposal.goal ? <Typography.Paragraph type="secondary">{proposal.goal}</Typography.Paragraph> : null}
      <ProposedVariants variants={proposal.variants} />
      <ProblemAlert error={create.error} />
      {created ? (
        <Alert
          type="success"
          showIcon
          title={<Link to={`/campaigns/${created.id}`}>Draft “{created.name}” created: open it</Link>}
        />
      ) : (
        <Button
          type="primary"
          loading={create.isPending}
          onClick={() =>
            create.mutate({
              name: proposal.name,
              goal: proposal.goal,
              segment_id: proposal.segment_id ?? undefined,
              cta_url: proposal.cta_url ?? undefined,
              variants: proposal.variants.map((v) => ({ text: v.text, weight: 1 })),
              purpose: "marketing",
              variant_count: proposal.variants.length,
              written_by_ai: proposal.written_by as "anthropic" | "openai",
            })
          }
        >
          Create draft
        </Button>
      )}
    </Card>
  );
}

type VariantsProposal = NonNullable<ChatAnswer["variant_proposals"]>[number];
type ScheduleProposal = NonNullable<ChatAnswer["schedule_proposals"]>[number];

function Applied({ campaignId, done }: { campaignId: number; done: string }) {
  return <Alert type="success" showIcon title={<Link to={`/campaigns/${campaignId}`}>{done}: open the campaign</Link>} />;
}

/** New variants for a campaign: nothing changes until the person clicks "Apply variants"; the
 * edited campaign is checked by the safety guard and reviewed again. */
function VariantsProposalCard({ proposal }: { proposal: VariantsProposal }) {
  const update = useUpdateCampaign(proposal.campaign_id);
  return (
    <Card size="small" type="inner" title={`Proposed variants for ${proposal.campaign_name}`} aria-label={`Proposed variants for ${proposal.campaign_name}`}>
      {proposal.rationale ? <Typography.Paragraph type="secondary">{proposal.rationale}</Typography.Paragraph> : null}
      <ProposedVariants variants={proposal.variants} />
      <ProblemAlert error={update.error} />
      {update.data ? (
        <Applied campaignId={proposal.campaign_id} done="Variants applied" />
      ) : proposal.editable ? (
        <Button
          type="primary"
          loading={update.isPending}
          onClick={() => update.mutate({ variants: proposal.variants.map((v) => ({ text: v.text, weight: 1 })) })}
        >
          Apply variants
        </Button>
      ) : (
        <Typography.Text type="secondary">This campaign can no longer be edited; clone it to use these variants.</Typography.Text>
      )}
    </Card>
  );
}

/** A start time from when people read and clicked: applied only by the person's click. */
function ScheduleProposalCard({ proposal }: { proposal: ScheduleProposal }) {
  const update = useUpdateCampaign(proposal.campaign_id);
  return (
    <Card size="small" type="inner" title={`Proposed start for ${proposal.campaign_name}`} aria-label={`Proposed start for ${proposal.campaign_name}`}>
      <Typography.Paragraph>
        Start {formatDateTime(proposal.start_at)} ({String(proposal.local_hour).padStart(2, "0")}:00 {proposal.timezone}):{" "}
        {proposal.engaged_in_hour} of {proposal.engaged_total} reads and clicks of the last {proposal.window_days} days fell in that hour.
      </Typography.Paragraph>
      <ProblemAlert error={update.error} />
      {update.data ? (
        <Applied campaignId={proposal.campaign_id} done="Start time applied" />
      ) : proposal.editable ? (
        <Button type="primary" loading={update.isPending} onClick={() => update.mutate({ start_at: proposal.start_at })}>
          Apply start time
        </Button>
      ) : (
        <Typography.Text type="secondary">This campaign has started; its start can no longer change.</Typography.Text>
      )}
    </Card>
  );
}

function AnswerCard({ exchange }: { exchange: Exchange }) {
  const { answer } = exchange;
  return (
    <Card size="small" aria-label="Answer">
      <Typography.Paragraph strong>{exchange.question}</Typography.Paragraph>
      <Space size={4} wrap style={{ marginBottom: 8 }}>
        {answer.ai_generated ? <Tag color="purple">AI-generated · {answer.model}</Tag> : <Tag>Offline rules, no LLM</Tag>}
        {answer.usage.cost_usd_micros > 0 ? <Tag>{formatUsdMicros(answer.usage.cost_usd_micros)}</Tag> : null}
      </Space>
      <Cited answer={answer} />
      {(answer.proposals ?? []).map((proposal) => (
        <ProposalCard key={proposal.source_id} proposal={proposal} />
      ))}
      {(answer.variant_proposals ?? []).map((proposal) => (
        <VariantsProposalCard key={proposal.source_id} proposal={proposal} />
      ))}
      {(answer.schedule_proposals ?? []).map((proposal) => (
        <ScheduleProposalCard key={proposal.source_id} proposal={proposal} />
      ))}
      {(answer.unverified_figures ?? []).length > 0 ? (
        <Alert
          type="warning"
          showIcon
          title="Figures no tool returned were removed"
          description={`Not backed by any source: ${(answer.unverified_figures ?? []).join(", ")}`}
          style={{ marginBottom: 8 }}
        />
      ) : null}
      <Collapse
        size="small"
        items={[
          {
            key: "steps",
            label: `Tool calls (${answer.steps.length}) and sources (${answer.sources.length})`,
            children: (
              <>
                <List
                  size="small"
                  dataSource={answer.steps}
                  renderItem={(step) => (
                    <List.Item>
                      <Space wrap>
                        <Tag color={STEP_COLOR[step.status]}>{step.status}</Tag>
                        <Typography.Text code>{step.tool}</Typography.Text>
                        {step.source_id ? <Tag color="blue">{step.source_id}</Tag> : null}
                        {step.detail ? <Typography.Text type="secondary">{step.detail}</Typography.Text> : null}
                      </Space>
                    </List.Item>
                  )}
                />
                {answer.sources.map((source) => (
                  <Typography.Paragraph key={source.id}>
                    <Tag color="blue">{source.id}</Tag>
                    <Typography.Text code>{source.tool}</Typography.Text>{" "}
                    <Typography.Text type="secondary">{source.summary}</Typography.Text>
                  </Typography.Paragraph>
                ))}
              </>
            ),
          },
        ]}
      />
      {(answer.notes ?? []).map((note) => (
        <Typography.Paragraph key={note} type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>
          {note}
        </Typography.Paragraph>
      ))}
    </Card>
  );
}

interface Draft {
  question: string;
  text: string;
  steps: ChatStep[];
}

/** The answer while it is written: each checked sentence and each tool call as they come. */
function DraftCard({ draft }: { draft: Draft }) {
  return (
    <Card size="small" aria-label="Answer being written" aria-busy="true">
      <Typography.Paragraph strong>{draft.question}</Typography.Paragraph>
      <Space size={4} wrap style={{ marginBottom: 8 }}>
        {draft.steps.map((step, index) => (
          <Tag key={index} color={STEP_COLOR[step.status]}>
            {step.tool} · {step.status}
          </Tag>
        ))}
      </Space>
      <Typography.Paragraph style={{ whiteSpace: "pre-wrap" }} aria-live="polite">
        {draft.text || "Thinking…"}
      </Typography.Paragraph>
    </Card>
  );
}

export function ChatPanel() {
  const [question, setQuestion] = useState("");
  const [exchanges, setExchanges] = useState<Exchange[]>([]);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [campaignId, setCampaignId] = useState<number | undefined>();
  const ask = useAskStreaming((event: ChatStreamEvent) =>
    setDraft((current) => {
      if (!current) return current;
      if (event.type === "reset") return { ...current, text: "" };
      if (event.type === "delta") return { ...current, text: current.text + (event.text ?? "") };
      if (event.type === "step" && event.step) return { ...current, steps: [...current.steps, event.step] };
      return current;
    }),
  );

  const send = () => {
    const text = question.trim();
    if (!text || ask.isPending) return;
    const history: ChatTurn[] = exchanges.flatMap((e) => [
      { role: "user", content: e.question },
      { role: "assistant", content: e.answer.answer },
    ]);
    setDraft({ question: text, text: "", steps: [] });
    ask.mutate({ messages: [...history.slice(-20), { role: "user", content: text }], campaignId }, {
      onSuccess: (answer) => {
        setExchanges((previous) => [...previous, { question: text, answer }]);
        setQuestion("");
      },
      onSettled: () => setDraft(null),
    });
  };

  return (
    <Flex vertical gap={12}>
      <BudgetLine />
      <CampaignContext value={campaignId} onChange={setCampaignId} />
      <Typography.Paragraph type="secondary">
        The strategist reads campaigns, their results, the audience and open replies, and can propose a draft for you
        to create. Every figure it states cites the tool result it came from; it cannot send, approve or change consent.
      </Typography.Paragraph>
      {exchanges.map((exchange, index) => (
        <AnswerCard key={index} exchange={exchange} />
      ))}
      {draft ? <DraftCard draft={draft} /> : null}
      <ProblemAlert error={ask.error} />
      <Input.TextArea
        aria-label="Your question"
        placeholder="How did the winter campaign do? Which variant is winning?"
        rows={3}
        maxLength={8000}
        value={question}
        onChange={(event) => setQuestion(event.target.value)}
        onPressEnter={(event) => {
          if (!event.shiftKey) {
            event.preventDefault();
            send();
          }
        }}
      />
      <Flex justify="end">
        <Button type="primary" onClick={send} loading={ask.isPending} disabled={!question.trim()}>
          Ask
        </Button>
      </Flex>
    </Flex>
  );
}
