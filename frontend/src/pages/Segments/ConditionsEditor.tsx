/** The builder's conditions: behaviour (events within N days), purchases (recency, frequency,
 * value), attributes, tags, contact fields and consent, combined by "all" or "any". */
import { DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { Alert, Button, Flex, Form, Input, InputNumber, Radio, Select, Typography } from "antd";
import type { FormInstance } from "antd";

import {
  ATTRIBUTE_OPS,
  CONSENT_STATES,
  EVENT_OPTIONS,
  FIELD_OPTIONS,
  KIND_OPTIONS,
  MEASURE_OPTIONS,
  ORDER_OPTIONS,
  PROPERTY_OPS,
  isOrdered,
  needsValue,
  toCondition,
} from "./conditions";
import type { ConditionRow } from "./conditions";

const required = (message: string) => [{ required: true, message }];

function Words({ children }: { children: string }) {
  return <Typography.Text style={{ lineHeight: "32px" }}>{children}</Typography.Text>;
}

function WithinDays({ name }: { name: number }) {
  return (
    <>
      <Words>in the last</Words>
      <Form.Item name={[name, "within_days"]} noStyle>
        <InputNumber aria-label="In the last days" min={1} max={3650} placeholder="ever" style={{ width: 90 }} />
      </Form.Item>
      <Words>days</Words>
    </>
  );
}

function EventFields({ name }: { name: number }) {
  return (
    <>
      <Form.Item name={[name, "did"]} initialValue="did" noStyle>
        <Select aria-label="Did or did not" style={{ width: 110 }} options={[{ value: "did", label: "did" }, { value: "did_not", label: "did not" }]} />
      </Form.Item>
      <Form.Item name={[name, "event"]} rules={required("Pick what they did")} style={{ margin: 0 }}>
        <Select aria-label="Event" placeholder="what" style={{ minWidth: 200 }} options={EVENT_OPTIONS} popupMatchSelectWidth={false} />
      </Form.Item>
      <Words>at least</Words>
      <Form.Item name={[name, "min_count"]} initialValue={1} noStyle>
        <InputNumber aria-label="At least this many times" min={1} style={{ width: 80 }} />
      </Form.Item>
      <Words>times</Words>
      <WithinDays name={name} />
    </>
  );
}

function RfmFields({ name, row }: { name: number; row: ConditionRow | undefined }) {
  return (
    <>
      <Form.Item name={[name, "measure"]} rules={required("Pick a measure")} style={{ margin: 0 }}>
        <Select aria-label="Measure" placeholder="measure" style={{ minWidth: 220 }} options={MEASURE_OPTIONS} />
      </Form.Item>
      <Form.Item name={[name, "rfm_op"]} rules={required("Pick a comparison")} style={{ margin: 0 }}>
        <Select aria-label="Comparison" placeholder="compare" style={{ width: 130 }} options={ORDER_OPTIONS} />
      </Form.Item>
      <Form.Item name={[name, "amount"]} rules={required("Give a number")} style={{ margin: 0 }}>
        <InputNumber aria-label="Amount" min={0} placeholder="number" style={{ width: 120 }} />
      </Form.Item>
      {row?.measure !== "recency_days" && <WithinDays name={name} />}
    </>
  );
}

function AttributeFields({ name, row }: { name: number; row: ConditionRow | undefined }) {
  return (
    <>
      <Form.Item name={[name, "key"]} rules={required("Name the attribute")} style={{ margin: 0 }}>
        <Input aria-label="Attribute name" placeholder="e.g. spent" style={{ width: 150 }} maxLength={64} />
      </Form.Item>
      <Form.Item name={[name, "attr_op"]} initialValue="eq" noStyle>
        <Select aria-label="Comparison" style={{ width: 140 }} options={ATTRIBUTE_OPS} />
      </Form.Item>
      {needsValue(row?.attr_op ?? "eq") && (
        <Form.Item name={[name, "text"]} rules={required("Give a value")} style={{ margin: 0 }}>
          <Input
            aria-label="Value"
            placeholder={row?.attr_op === "in" ? "a, b, c" : isOrdered(row?.attr_op) ? "a number" : "value"}
            style={{ width: 160 }}
          />
        </Form.Item>
      )}
    </>
  );
}

function PropertyFields({ name, row }: { name: number; row: ConditionRow | undefined }) {
  const lists = row?.prop_op === "in" || row?.prop_op === "not_in";
  return (
    <>
      <Form.Item name={[name, "field"]} initialValue="language" noStyle>
        <Select aria-label="Field" style={{ width: 130 }} options={FIELD_OPTIONS} />
      </Form.Item>
      <Form.Item name={[name, "prop_op"]} initialValue="eq" noStyle>
        <Select aria-label="Comparison" style={{ width: 130 }} options={PROPERTY_OPS} />
      </Form.Item>
      {needsValue(row?.prop_op ?? "eq") && (
        <Form.Item name={[name, "text"]} rules={required("Give a value")} style={{ margin: 0 }}>
          <Input aria-label="Value" placeholder={lists ? "en, de" : "value"} style={{ width: 160 }} maxLength={128} />
        </Form.Item>
      )}
    </>
  );
}

function ConditionFields({
  name,
  form,
  index,
  error,
  onRemove,
}: {
  name: number;
  form: FormInstance;
  index: number;
  error: string | undefined;
  onRemove: () => void;
}) {
  const row = Form.useWatch(["conditions", name], form) as ConditionRow | undefined;
  const incomplete = row?.kind !== undefined && toCondition(row) === null;
  return (
    <div role="group" aria-label={`Condition ${index + 1}`} style={{ border: "1px solid #d9d9d9", borderRadius: 8, padding: 8 }}>
      <Flex gap={8} wrap align="start">
        <Form.Item name={[name, "kind"]} rules={required("Pick a kind of condition")} style={{ margin: 0 }}>
          <Select aria-label="Kind of condition" placeholder="kind" style={{ width: 250 }} options={KIND_OPTIONS} />
        </Form.Item>
        {row?.kind === "event" && <EventFields name={name} />}
        {row?.kind === "rfm" && <RfmFields name={name} row={row} />}
        {row?.kind === "attribute" && <AttributeFields name={name} row={row} />}
        {row?.kind === "property" && <PropertyFields name={name} row={row} />}
        {row?.kind === "tag" && (
          <>
            <Form.Item name={[name, "tag_op"]} initialValue="has" noStyle>
              <Select aria-label="Has or has not" style={{ width: 120 }} options={[{ value: "has", label: "has" }, { value: "has_not", label: "has not" }]} />
            </Form.Item>
            <Form.Item name={[name, "tag"]} rules={required("Give a tag")} style={{ margin: 0 }}>
              <Input aria-label="Tag" placeholder="tag" style={{ width: 150 }} maxLength={64} />
            </Form.Item>
          </>
        )}
        {row?.kind === "consent" && (
          <Form.Item name={[name, "state"]} initialValue="granted" noStyle>
            <Select aria-label="Consent state" style={{ width: 220 }} options={CONSENT_STATES} />
          </Form.Item>
        )}
        <Button icon={<DeleteOutlined aria-hidden />} aria-label={`Remove condition ${index + 1}`} onClick={onRemove} />
      </Flex>
      {error && (
        <Alert type="error" showIcon title={error} style={{ marginTop: 8, padding: "4px 8px" }} />
      )}
      {incomplete && (
        <Typography.Text type="secondary" style={{ display: "block", marginTop: 4 }}>
          Not counted until it is complete.
        </Typography.Text>
      )}
    </div>
  );
}

export function ConditionsEditor({ form, errors }: { form: FormInstance; errors: Record<number, string> }) {
  return (
    <section aria-label="Conditions" style={{ marginBottom: 16 }}>
      <Typography.Title level={5}>Behaviour and other conditions</Typography.Title>
      <Form.Item name="match" label="Contacts must match" initialValue="all">
        <Radio.Group
          optionType="button"
          options={[
            { value: "all", label: "all conditions" },
            { value: "any", label: "any condition" },
          ]}
        />
      </Form.Item>
      <Form.List name="conditions">
        {(fields, { add, remove }) => (
          <Flex vertical gap={8}>
            {fields.map((field, index) => (
              <ConditionFields
                key={field.key}
                name={field.name}
                index={index}
                form={form}
                error={errors[index]}
                onRemove={() => remove(field.name)}
              />
            ))}
            <Button icon={<PlusOutlined aria-hidden />} onClick={() => add({})} style={{ alignSelf: "start" }}>
              Add condition
            </Button>
          </Flex>
        )}
      </Form.List>
      <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
        Everything above the conditions must hold too. “In the last N days” counts back from now; a campaign counts
        its segment again when it starts, so it reaches who matches then.
      </Typography.Paragraph>
    </section>
  );
}
