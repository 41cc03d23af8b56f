/** The calculator: any test's counts (another tool's too) through every engine, with the verdict. */
import { MinusCircleOutlined, PlusOutlined } from "@ant-design/icons";
import { Button, Card, Form, Input, InputNumber, Select, Space } from "antd";

import { useAnalyse, type AnalyseRequest } from "../../api/experiments";
import { ProblemAlert } from "../../components/ProblemAlert";
import { ArmIntervals } from "./ArmIntervals";
import { ResultsTable } from "./ResultsTable";
import { VerdictPanel } from "./VerdictPanel";

interface ArmRow {
  key: string;
  trials: number;
  successes: number;
  share_percent?: number | null;
}

interface CalculatorForm {
  control: string;
  arms: ArmRow[];
}

const START: CalculatorForm = {
  control: "A",
  arms: [
    { key: "A", trials: 1000, successes: 50 },
    { key: "B", trials: 1000, successes: 70 },
  ],
};

export function Calculator() {
  const analyse = useAnalyse();
  const [form] = Form.useForm<CalculatorForm>();
  const arms = Form.useWatch("arms", form) ?? START.arms;
  // A planned share for every arm turns on the sample-ratio check; for some only, the API says what is missing.
  const submit = (values: CalculatorForm) =>
    analyse.mutate({
      control: values.control,
      arms: values.arms.map(({ share_percent, ...arm }) =>
        values.arms.some((a) => a.share_percent !== undefined && a.share_percent !== null)
          ? { ...arm, weight: share_percent ?? null }
          : arm,
      ),
    } as AnalyseRequest);
  return (
    <Card title="Analyse any test's counts">
      <Form<CalculatorForm> form={form} initialValues={START} onFinish={submit} aria-label="Counts to analyse">
        <Form.List name="arms">
          {(fields, { add, remove }) => (
            <Space orientation="vertical" style={{ width: "100%" }}>
              {fields.map((field, index) => (
                <Space key={field.key} align="baseline" wrap role="group" aria-label={`Arm ${index + 1}`}>
                  <Form.Item label="Variant" name={[field.name, "key"]} rules={[{ required: true }]}>
                    <Input style={{ width: 80 }} maxLength={64} />
                  </Form.Item>
                  <Form.Item label="Trials" name={[field.name, "trials"]} rules={[{ required: true }]}>
                    <InputNumber min={0} />
                  </Form.Item>
                  <Form.Item label="Successes" name={[field.name, "successes"]} rules={[{ required: true }]}>
                    <InputNumber min={0} />
                  </Form.Item>
                  <Form.Item
                    label="Planned share (%)"
                    name={[field.name, "share_percent"]}
                    tooltip="Optional: the share of traffic this arm should have had; with one for every arm the sends are checked against them (sample ratio mismatch)."
                  >
                    <InputNumber min={0.01} max={100} />
                  </Form.Item>
                  {fields.length > 2 && (
                    <Button type="text" aria-label={`Remove arm ${index + 1}`} icon={<MinusCircleOutlined aria-hidden />} onClick={() => remove(field.name)} />
                  )}
                </Space>
              ))}
              <Button
                icon={<PlusOutlined aria-hidden />}
                disabled={fields.length >= 20}
                onClick={() => add({ key: String.fromCharCode(65 + fields.length), trials: 0, successes: 0 })}
              >
                Add variant
              </Button>
            </Space>
          )}
        </Form.List>
        <Space wrap style={{ marginTop: 12 }}>
          <Form.Item label="Control" name="control" style={{ marginBottom: 0 }}>
            <Select style={{ width: 100 }} options={arms.filter(Boolean).map((arm) => ({ value: arm.key, label: arm.key }))} />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={analyse.isPending}>
            Analyse
          </Button>
        </Space>
      </Form>
      <Space orientation="vertical" size={16} style={{ width: "100%", marginTop: 16 }}>
        <ProblemAlert error={analyse.error} />
        {analyse.data && (
          <>
            <VerdictPanel analysis={analyse.data} />
            <ArmIntervals arms={analyse.data.arms} controlKey={analyse.data.control_key} />
            <ResultsTable analysis={analyse.data} caption="Calculator results" />
          </>
        )}
      </Space>
    </Card>
  );
}
