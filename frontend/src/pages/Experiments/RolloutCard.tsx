/** How the campaign's experiment decides while it sends: the mode form before it starts, the progress after,
 * and the button that sends a chosen variant to the rest of a test-then-send audience. */
import { Link } from "react-router";
import { Alert, App, Button, Card, Descriptions, Form, InputNumber, Popconfirm, Radio, Select, Space, Switch, Tag } from "antd";

import { useApproveWinner, useResumeArm, useRollout, useSetRollout, type Rollout, type RolloutConfig } from "../../api/experiments";
import { formatCount, formatDateTime } from "../../components/format";
import { PermittedButton } from "../../components/Permitted";
import { ProblemAlert } from "../../components/ProblemAlert";
import { useNotifyProblem } from "../../components/useNotifyProblem";
import { formatRate } from "./numbers";

const PHASE: Record<string, string> = {
  not_started: "not started",
  fixed: "fixed split",
  testing: "testing",
  awaiting_approval: "waiting for approval",
  approved: "approved, sending",
  rolled_out: "winner sent to the rest",
  bandit: "bandit learning",
  done: "every batch released",
};

interface ModeForm {
  mode: RolloutConfig["mode"];
  reward: "converted" | "clicked";
  test_share_percent: number;
  wait_minutes: number;
  auto_send: boolean;
  no_winner: "control" | "ask";
  chance_to_win_percent: number;
  batch_size: number;
  interval_minutes: number;
  feedback: "delay_weighted" | "mature";
  delay_mean_minutes: number;
  maturity_minutes: number;
  top_two: boolean;
  stop_at_winner: boolean;
  reweight_every_outcomes?: number | null;
  reuse_winner: boolean;
  warm_start_discount: number;
}

function ModeEditor({ campaignId, rollout }: { campaignId: number; rollout: Rollout }) {
  const save = useSetRollout(campaignId);
  const { message } = App.useApp();
  const [form] = Form.useForm<ModeForm>();
  const mode = Form.useWatch("mode", form) ?? rollout.config.mode;
  const feedback = Form.useWatch("feedback", form) ?? rollout.config.feedback;
  const c = rollout.config;
  // The other modes' fields are not mounted, so onFinish leaves them out: send the whole store
  // (their initial values), or a hidden field's number goes out as null and the API says 422.
  const submit = () => {
    const v = form.getFieldsValue(true) as ModeForm;
    save.mutate(
      {
        mode: v.mode,
        reward: v.reward,
        test_share: v.test_share_percent / 100,
        wait_minutes: v.wait_minutes,
        auto_send: v.auto_send,
        no_winner: v.no_winner,
        chance_to_win: v.chance_to_win_percent / 100,
        batch_size: v.batch_size,
        interval_minutes: v.interval_minutes,
        feedback: v.feedback,
        delay_mean_minutes: v.delay_mean_minutes,
        maturity_minutes: v.maturity_minutes,
        top_two: v.top_two,
        stop_at_winner: v.stop_at_winner,
        reweight_every_outcomes: v.reweight_every_outcomes ?? null,
        reuse_winner: v.reuse_winner,
        warm_start_discount: v.warm_start_discount,
      } as RolloutConfig,
      { onSuccess: () => void message.success("Rollout saved") },
    );
  };
  return (
    <Form<ModeForm>
      form={form}
      layout="vertical"
      aria-label="Rollout mode"
      onFinish={submit}
      initialValues={{
        mode: c.mode,
        reward: c.reward === "clicked" ? "clicked" : "converted",
        test_share_percent: Math.round((c.test_share ?? 0.2) * 100),
        wait_minutes: c.wait_minutes,
        auto_send: c.auto_send,
        no_winner: c.no_winner,
        chance_to_win_percent: Math.round((c.chance_to_win ?? 0.95) * 100),
        batch_size: c.batch_size,
        interval_minutes: c.interval_minutes,
        feedback: c.feedback ?? "delay_weighted",
        delay_mean_minutes: c.delay_mean_minutes ?? 60,
        maturity_minutes: c.maturity_minutes,
        top_two: c.top_two,
        stop_at_winner: c.stop_at_winner ?? true,
        reweight_every_outcomes: c.reweight_every_outcomes ?? null,
        reuse_winner: c.reuse_winner ?? true,
        warm_start_discount: c.warm_start_discount ?? 0.5,
      }}
    >
      <Form.Item label="Mode" name="mode">
        <Radio.Group
          optionType="button"
          options={[
            { value: "fixed", label: "Fixed split" },
            { value: "test_then_send", label: "Test then send" },
            { value: "bandit", label: "Bandit" },
          ]}
        />
      </Form.Item>
      {mode !== "fixed" && (
        <Space wrap size={16}>
          <Form.Item label="Success is" name="reward">
            <Select style={{ width: 140 }} options={[{ value: "converted", label: "a conversion" }, { value: "clicked", label: "a click" }]} />
          </Form.Item>
          <Form.Item label="Certainty a winner needs (%)" name="chance_to_win_percent">
            <InputNumber min={51} max={99} />
          </Form.Item>
        </Space>
      )}
      {mode === "test_then_send" && (
        <Space wrap size={16}>
          <Form.Item label="Share tested first (%)" name="test_share_percent">
            <InputNumber min={1} max={90} />
          </Form.Item>
          <Form.Item label="Test window (minutes)" name="wait_minutes">
            <InputNumber min={0.1} max={43200} />
          </Form.Item>
          <Form.Item label="Send the winner automatically" name="auto_send" valuePropName="checked">
            <Switch />
          </Form.Item>
          <Form.Item label="Without a winner" name="no_winner">
            <Select style={{ width: 200 }} options={[{ value: "control", label: "send the control" }, { value: "ask", label: "ask a person" }]} />
          </Form.Item>
          <Form.Item label="Recurring: later runs send the winner to everyone" name="reuse_winner" valuePropName="checked">
            <Switch />
          </Form.Item>
        </Space>
      )}
      {mode === "bandit" && (
        <Space wrap size={16}>
          <Form.Item label="Batch size" name="batch_size">
            <InputNumber min={1} />
          </Form.Item>
          <Form.Item label="Minutes between batches" name="interval_minutes">
            <InputNumber min={0.01} />
          </Form.Item>
          <Form.Item
            label="Or after this many new successes"
            name="reweight_every_outcomes"
            tooltip="Optional: the next batch also goes as soon as this many new conversions (or clicks) came since the last one."
          >
            <InputNumber min={1} placeholder="only by time" />
          </Form.Item>
          <Form.Item
            label="Late conversions"
            name="feedback"
            tooltip="Weighted: every send counts at once, as the share of its conversion that can have come by now, so recent sends are not counted as failures. Mature: a send counts only once it is old enough."
          >
            <Select
              style={{ width: 220 }}
              options={[
                { value: "delay_weighted", label: "weighted by the send's age" },
                { value: "mature", label: "count only mature sends" },
              ]}
            />
          </Form.Item>
          {feedback === "mature" ? (
            <Form.Item label="A send counts after (minutes)" name="maturity_minutes">
              <InputNumber min={0} />
            </Form.Item>
          ) : (
            <Form.Item label="Mean delay to a conversion (minutes)" name="delay_mean_minutes">
              <InputNumber min={0.01} />
            </Form.Item>
          )}
          <Form.Item label="Top-two Thompson sampling" name="top_two" valuePropName="checked">
            <Switch />
          </Form.Item>
          <Form.Item
            label="Send the rule's winner to the rest"
            name="stop_at_winner"
            valuePropName="checked"
            tooltip="Once the experiment's statistics name a winner at the certainty above, every recipient still waiting gets it."
          >
            <Switch />
          </Form.Item>
          <Form.Item
            label="Recurring: an earlier send counts as (0-1 of a new one)"
            name="warm_start_discount"
            tooltip="A later run starts from the previous run's results, each of its sends worth this much; 0 learns from scratch."
          >
            <InputNumber min={0} max={1} step={0.1} />
          </Form.Item>
        </Space>
      )}
      <ProblemAlert error={save.error} />
      <PermittedButton permission="campaigns:write" type="primary" htmlType="submit" loading={save.isPending}>
        Save rollout
      </PermittedButton>
    </Form>
  );
}

function Progress({ campaignId, rollout }: { campaignId: number; rollout: Rollout }) {
  const approve = useApproveWinner(campaignId);
  const resume = useResumeArm(campaignId);
  const notifyProblem = useNotifyProblem();
  const { message } = App.useApp();
  const deciding = rollout.config.mode === "test_then_send" && ["testing", "awaiting_approval"].includes(rollout.phase);
  const choices = Object.keys(rollout.weights).filter((key) => !rollout.paused_arms.includes(key));
  const send = (key: string) =>
    approve.mutate(key, {
      onSuccess: () => void message.success(`Variant ${key} goes to the rest of the audience`),
      onError: notifyProblem,
    });
  return (
    <Space orientation="vertical" style={{ width: "100%" }}>
      <Descriptions size="small" column={{ xs: 1, md: 2 }} bordered>
        <Descriptions.Item label="Phase">
          <Tag color={rollout.phase === "awaiting_approval" ? "warning" : "processing"}>{PHASE[rollout.phase] ?? rollout.phase}</Tag>
        </Descriptions.Item>
        <Descriptions.Item label="Started">{formatDateTime(rollout.started_at)}</Descriptions.Item>
        {rollout.config.mode === "test_then_send" && (
          <Descriptions.Item label="Test window">
            {rollout.window_started_at
              ? `from the first send, ${formatDateTime(rollout.window_started_at)}, to ${formatDateTime(rollout.decide_at)}`
              : `starts at the test's first send and lasts ${rollout.config.wait_minutes} min`}
          </Descriptions.Item>
        )}
        <Descriptions.Item label="Waiting for the decision">{formatCount(rollout.held)} recipients</Descriptions.Item>
        <Descriptions.Item label="Released by decisions">{formatCount(rollout.released)} recipients</Descriptions.Item>
        <Descriptions.Item label="Traffic now">
          {Object.entries(rollout.weights)
            .map(([key, weight]) => `${key} ${formatRate(weight, 1)}`)
            .join(" · ")}
        </Descriptions.Item>
        {rollout.winner && <Descriptions.Item label="Sent to the rest">variant {rollout.winner}</Descriptions.Item>}
        {rollout.inherited_from_campaign_id && (
          <Descriptions.Item label="Winner from">
            <Link to={`/experiments/campaigns/${rollout.inherited_from_campaign_id}`}>the test of campaign {rollout.inherited_from_campaign_id}</Link>
          </Descriptions.Item>
        )}
        {rollout.started_from_campaign_id && (
          <Descriptions.Item label="Started from">
            <Link to={`/experiments/campaigns/${rollout.started_from_campaign_id}`}>campaign {rollout.started_from_campaign_id}'s results</Link>
            {` (each earlier send counts as ${rollout.config.warm_start_discount} of a new one): `}
            {Object.entries(rollout.prior ?? {})
              .map(([key, p]) => `${key} ${formatCount(p.conversions)} of ${formatCount(p.sent)}`)
              .join(" · ")}
          </Descriptions.Item>
        )}
        {rollout.paused_arms.length > 0 && (
          <Descriptions.Item label="Paused by a guardrail">{rollout.paused_arms.join(", ")}</Descriptions.Item>
        )}
      </Descriptions>
      {(rollout.warnings ?? []).map((warning) => (
        <Alert key={warning} type="warning" showIcon title="The bandit can hardly learn during this send" description={warning} />
      ))}
      {rollout.phase === "awaiting_approval" && (
        <Alert
          type="warning"
          showIcon
          title={rollout.proposed ? `Variant ${rollout.proposed} won the test` : "No variant won the test"}
          description="The rest of the audience waits for a person: choose the variant they get. The decisions below give the figures."
        />
      )}
      {rollout.paused_arms.map((key) => (
        <Popconfirm
          key={key}
          title={`Resume variant ${key}? Its guardrail was breached; it will not be paused again.`}
          okText="Resume"
          onConfirm={() => resume.mutate(key, { onError: notifyProblem })}
        >
          <PermittedButton permission="campaigns:write" danger loading={resume.isPending}>
            {`Resume variant ${key}`}
          </PermittedButton>
        </Popconfirm>
      ))}
      {deciding && (
        <Space wrap>
          {choices.map((key) => (
            <Popconfirm
              key={key}
              title={`Send variant ${key} to the other ${rollout.held.toLocaleString()} recipients?`}
              okText="Send"
              onConfirm={() => send(key)}
            >
              <PermittedButton permission="campaigns:write" type={key === rollout.proposed ? "primary" : "default"} loading={approve.isPending}>
                {`Send variant ${key} to the rest`}
              </PermittedButton>
            </Popconfirm>
          ))}
        </Space>
      )}
    </Space>
  );
}

export function RolloutCard({ campaignId }: { campaignId: number }) {
  const rollout = useRollout(campaignId);
  return (
    <Card title="Rollout" loading={rollout.isLoading}>
      <ProblemAlert error={rollout.error} />
      {rollout.data &&
        (rollout.data.phase === "not_started" ? (
          <ModeEditor campaignId={campaignId} rollout={rollout.data} />
        ) : (
          <Progress campaignId={campaignId} rollout={rollout.data} />
        ))}
      {rollout.data && rollout.data.phase === "not_started" && rollout.data.inherited_from_campaign_id && (
        <Alert
          type="info"
          showIcon
          title={`This run will send the winner of campaign ${rollout.data.inherited_from_campaign_id}'s test to everyone`}
          description="It is an earlier run of the same recurring campaign. Turn off “later runs send the winner” to test again."
        />
      )}
      {rollout.data && rollout.data.phase === "not_started" && rollout.data.started_from_campaign_id && (
        <Alert
          type="info"
          showIcon
          title={`This run's bandit will start from campaign ${rollout.data.started_from_campaign_id}'s results`}
          description="It is an earlier run of the same recurring campaign; its results count discounted, so this run's own sends soon outweigh them."
        />
      )}
      {rollout.data && rollout.data.phase === "not_started" && (
        <Button type="link" style={{ paddingLeft: 0 }} href="#planner">
          How many recipients does a test need?
        </Button>
      )}
    </Card>
  );
}
