/**
 * The creation form. The AI strategist writes the strategy and variants unless the user writes them;
 * the safety guard scores the result, and the answer (status, risk and reasons) is shown here.
 */
import { MinusCircleOutlined, PlusOutlined } from "@ant-design/icons";
import { Alert, Button, Collapse, Descriptions, Drawer, Flex, Form, Input, InputNumber, Result, Select, Switch, Typography } from "antd";
import { useState } from "react";
import { useNavigate } from "react-router";

import { useCreateCampaign } from "../../api/campaigns";
import { useSegments, useSenders } from "../../api/directory";
import { asApiError, formPath } from "../../api/problem";
import type { Campaign, CampaignCreate } from "../../api/types";
import { RiskReasons, RiskScore } from "../../components/Risk";
import { formatCount } from "../../components/format";
import { ProblemAlert } from "../../components/ProblemAlert";
import { isHandWritten } from "../../components/campaignStatus";
import { StatusTag } from "../../components/StatusTag";
import { StrategistNotes } from "../../components/StrategistNotes";
import { VariantButtonsField, VariantImageField, variantBody, type VariantButton } from "../CampaignDetail/VariantExtras";
import { BRIEF_DEFAULTS, BriefFields, briefNamesSomething, briefRequest, type BriefValues } from "./BriefFields";
import { SCHEDULE_DEFAULTS, SCHEDULE_FIELDS, ScheduleFields, scheduleRequest, type ScheduleValues } from "./ScheduleFields";

interface FormValues extends ScheduleValues {
  name: string;
  goal?: string;
  brief?: BriefValues;
  variant_count: number;
  cta_url?: string;
  sender_id?: number;
  segment_id?: number;
  own_variants: boolean;
  variants?: { text: string; image_url?: string; buttons?: VariantButton[] }[];
}

const INITIAL: Partial<FormValues> = { ...SCHEDULE_DEFAULTS, brief: BRIEF_DEFAULTS, variant_count: 2, own_variants: false, variants: [{ text: "" }, { text: "" }] };

function toRequest(values: FormValues): CampaignCreate {
  const body: CampaignCreate = {
    name: values.name.trim(),
    goal: (values.goal ?? "").trim(),
    purpose: "marketing",
    sender_id: values.sender_id ?? null,
    segment_id: values.segment_id ?? null,
    cta_url: values.cta_url?.trim() ? values.cta_url.trim() : null,
    variant_count: values.variant_count,
    ...scheduleRequest(values),
  };
  if (!values.own_variants) {
    const brief = briefRequest(values.brief);
    if (brief) body.brief = brief;
  } else {
    body.variants = (values.variants ?? []).map((v) => variantBody({ ...v, weight: 1 }, [], new Set()));
    body.variant_count = body.variants.length;
  }
  return body;
}

function CreatedCampaign({ campaign, onAnother }: { campaign: Campaign; onAnother: () => void }) {
  const navigate = useNavigate();
  const inReview = campaign.status === "pending_review";
  return (
    <section aria-label="Created campaign">
      <Result
        status={inReview ? "warning" : "success"}
        title={`Campaign “${campaign.name}” created`}
        subTitle={
          inReview
            ? "The safety guard found risks: a reviewer must approve it before anything is sent."
            : "Submit it from its page when you are ready to send."
        }
        style={{ paddingBlock: 16 }}
      />
      {campaign.agent_offline && !isHandWritten(campaign) && (
        <Alert
          type="info"
          showIcon
          title="The AI strategist was offline; the variants come from the built-in templates."
          style={{ marginBottom: 16 }}
        />
      )}
      <StrategistNotes notes={campaign.agent_notes ?? []} />
      <Descriptions
        column={1}
        bordered
        size="small"
        items={[
          { key: "status", label: "Status", children: <StatusTag status={campaign.status} /> },
          { key: "risk", label: "Risk score", children: <RiskScore score={campaign.risk_score} scale /> },
          { key: "reasons", label: "Risk reasons", children: <RiskReasons reasons={campaign.risk_reasons} compact /> },
          { key: "variants", label: "Variants", children: campaign.variants.map((v) => v.key).join(", ") || "—" },
        ]}
      />
      <Flex gap={8} justify="flex-end" style={{ marginTop: 24 }}>
        <Button onClick={onAnother}>Create another</Button>
        <Button type="primary" onClick={() => navigate(`/campaigns/${campaign.id}`)}>
          Open campaign
        </Button>
      </Flex>
    </section>
  );
}

export function NewCampaignDrawer({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [form] = Form.useForm<FormValues>();
  const create = useCreateCampaign();
  const senders = useSenders();
  const segments = useSegments();
  const [created, setCreated] = useState<Campaign | null>(null);
  const ownVariants = Form.useWatch("own_variants", form) ?? false;
  const [advanced, setAdvanced] = useState<string[]>([]);
  // A field error inside the collapsed schedule section would go unseen: open it.
  const revealSchedule = (names: (string | number)[][]) => {
    if (names.some((name) => SCHEDULE_FIELDS.has(String(name[0])))) setAdvanced(["schedule"]);
  };

  const reset = () => {
    setCreated(null);
    setAdvanced([]);
    create.reset();
    form.resetFields();
  };

  /** The form field a server error belongs to: the path itself, or for a whole window its start input. */
  const fieldFor = (path: (string | number)[]): (string | number)[] | null => {
    const known = (name: (string | number)[]) => name.length > 0 && form.getFieldInstance(name as never) !== undefined;
    if (path[0] === "quiet_hours" && path.length === 1 && known(["quiet_mode"])) return ["quiet_mode"];
    if (path[0] === "brief" && path.length === 1) return ["goal"]; // the brief as a whole says nothing
    for (const candidate of [path, [...path, "start"], path.slice(0, 1)]) if (known(candidate)) return candidate;
    return null;
  };

  const onFinish = (values: FormValues) => {
    create.mutate(toRequest(values), {
      onSuccess: setCreated,
      onError: (error) => {
        const fields = asApiError(error)
          .errors.map((e) => ({ name: fieldFor(formPath(e.loc)), errors: [e.msg] }))
          .filter((f): f is { name: (string | number)[]; errors: string[] } => f.name !== null);
        if (fields.length === 0) return;
        revealSchedule(fields.map((f) => f.name));
        form.setFields(fields as Parameters<typeof form.setFields>[0]);
        const first = fields[0]!.name;
        setTimeout(() => form.scrollToField(first as never, { block: "center" }), 0);
      },
    });
  };

  return (
    <Drawer
      title="New campaign"
      open={open}
      size={Math.min(560, window.innerWidth)}
      destroyOnHidden
      onClose={onClose}
      afterOpenChange={(visible) => {
        if (!visible) reset();
      }}
    >
      {created ? (
        <CreatedCampaign campaign={created} onAnother={reset} />
      ) : (
        <>
          <Form<FormValues>
            form={form}
            name="new-campaign"
            layout="vertical"
            initialValues={INITIAL}
            onFinish={onFinish}
            onFinishFailed={({ errorFields }) => revealSchedule(errorFields.map((f) => f.name))}
            disabled={create.isPending}
            scrollToFirstError
          >
            <Form.Item label="Name" name="name" rules={[{ required: true, whitespace: true, message: "Give the campaign a name" }]}>
              <Input maxLength={200} placeholder="Spring sale" />
            </Form.Item>
            <Form.Item
              label="Brief / goal"
              name="goal"
              dependencies={[["brief", "product"], ["brief", "offer"], ["own_variants"]]}
              extra={
                ownVariants
                  ? "What the campaign is for, as the campaign list shows it."
                  : "Optional when you give the product or the offer below. The strategist reads it but never quotes instructions to the customer."
              }
              rules={[
                ({ getFieldValue }) => ({
                  validator: (_rule, value?: string) =>
                    value?.trim() || (!getFieldValue("own_variants") && briefNamesSomething(getFieldValue("brief")))
                      ? Promise.resolve()
                      : Promise.reject(new Error("Describe the goal, or give the product or the offer")),
                }),
              ]}
            >
              <Input.TextArea rows={3} placeholder="Bring lapsed subscribers back with 20% off the annual plan until Sunday." />
            </Form.Item>
            <Form.Item label="Write the variants myself" name="own_variants" valuePropName="checked" extra="Otherwise the AI strategist writes them.">
              <Switch />
            </Form.Item>
            {ownVariants ? (
              <Form.List name="variants">
                {(fields, { add, remove }) => (
                  <>
                    {fields.map((field, index) => {
                      const key = String.fromCharCode(65 + index);
                      return (
                        <div key={field.key} style={{ marginBottom: 8 }}>
                          <Flex gap={8} align="start">
                            <Form.Item
                              name={[field.name, "text"]}
                              label={`Variant ${key}`}
                              rules={[{ required: true, whitespace: true, message: "Write the message text" }]}
                              style={{ flex: 1 }}
                            >
                              <Input.TextArea rows={3} />
                            </Form.Item>
                            {fields.length > 1 && (
                              <Button
                                type="text"
                                aria-label={`Remove variant ${key}`}
                                icon={<MinusCircleOutlined aria-hidden />}
                                onClick={() => remove(field.name)}
                                style={{ marginTop: 30 }}
                              />
                            )}
                          </Flex>
                          <VariantImageField name={field.name} label={key} />
                          <VariantButtonsField name={field.name} label={key} />
                        </div>
                      );
                    })}
                    {fields.length < 5 && (
                      <Form.Item>
                        <Button type="dashed" icon={<PlusOutlined aria-hidden />} onClick={() => add({ text: "", buttons: [] })} block>
                          Add variant
                        </Button>
                      </Form.Item>
                    )}
                  </>
                )}
              </Form.List>
            ) : (
              <>
              <BriefFields />
              <Form.Item
                label="Number of variants"
                name="variant_count"
                extra="Variants are A/B tested against each other; A is the control."
                rules={[{ required: true, type: "integer", min: 1, max: 5, message: "Between 1 and 5" }]}
              >
                <InputNumber min={1} max={5} precision={0} style={{ width: 120 }} />
              </Form.Item>
              </>
            )}
            <Form.Item label="CTA URL" name="cta_url" rules={[{ type: "url", message: "Enter a full URL, like https://example.com/offer" }]}>
              <Input placeholder="https://example.com/offer" inputMode="url" />
            </Form.Item>
            <Form.Item label="Sender" name="sender_id" extra="Leave empty for the default sender.">
              <Select
                allowClear
                placeholder="Default sender"
                loading={senders.isLoading}
                options={(senders.data ?? []).map((s) => ({ value: s.id, label: `${s.name} · ${s.kind}` }))}
              />
            </Form.Item>
            <Form.Item label="Segment" name="segment_id" extra="Only contacts who consented to this sender and purpose receive it.">
              <Select
                allowClear
                placeholder="All consenting contacts"
                loading={segments.isLoading}
                options={(segments.data?.items ?? []).map((s) => ({ value: s.id, label: `${s.name} (${formatCount(s.size)})` }))}
              />
            </Form.Item>
            <Collapse
              activeKey={advanced}
              onChange={(keys) => setAdvanced(Array.isArray(keys) ? keys : [keys])}
              style={{ marginBottom: 24 }}
              items={[{ key: "schedule", label: "Advanced: schedule", forceRender: true, children: <ScheduleFields /> }]}
            />
            {create.isPending && (
              <Typography.Paragraph type="secondary">
                The strategist is writing the variants and the safety guard is checking them…
              </Typography.Paragraph>
            )}
            <ProblemAlert error={create.error} />
            <Flex gap={8} justify="flex-end">
              <Button onClick={onClose} disabled={false}>
                Cancel
              </Button>
              <Button type="primary" htmlType="submit" loading={create.isPending}>
                Create campaign
              </Button>
            </Flex>
          </Form>
        </>
      )}
    </Drawer>
  );
}
