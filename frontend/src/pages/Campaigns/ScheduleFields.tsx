/**
 * "Advanced: schedule" of the new-campaign form: start time, daily send window, quiet hours, time zone
 * and recurrence. Empty fields are left out of the request, so the server's defaults apply.
 */
import { AutoComplete, Flex, Form, Input, InputNumber, Select, Switch } from "antd";

import type { CampaignCreate, DailyWindow } from "../../api/types";

export type QuietMode = "default" | "custom" | "off";

export interface ScheduleValues {
  start_at?: string;
  send_window_on: boolean;
  send_window?: DailyWindow;
  quiet_mode: QuietMode;
  quiet_hours?: DailyWindow;
  timezone?: string;
  recurrence?: string;
  recurrence_until?: string;
  recurrence_max_runs?: number | null;
}

export const SCHEDULE_DEFAULTS: ScheduleValues = {
  send_window_on: false,
  send_window: { start: "09:00", end: "20:00" },
  quiet_mode: "default",
  quiet_hours: { start: "21:00", end: "08:00" },
};

/** The top-level form fields of this section, to open it when one of them has an error. */
export const SCHEDULE_FIELDS = new Set([
  "start_at",
  "send_window_on",
  "send_window",
  "quiet_mode",
  "quiet_hours",
  "timezone",
  "recurrence",
  "recurrence_until",
  "recurrence_max_runs",
]);

const BROWSER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;
const ZONES: string[] = (() => {
  try {
    return (Intl as unknown as { supportedValuesOf(key: string): string[] }).supportedValuesOf("timeZone");
  } catch {
    return [BROWSER_ZONE];
  }
})();

/** A datetime-local value (the browser's time) as an ISO instant; anything odd goes as typed, for the server to judge. */
function toInstant(local: string | undefined): string | undefined {
  const value = local?.trim();
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

export function scheduleRequest(values: ScheduleValues): Partial<CampaignCreate> {
  const body: Partial<CampaignCreate> = {};
  const startAt = toInstant(values.start_at);
  if (startAt) body.start_at = startAt;
  if (values.send_window_on && values.send_window) body.send_window = values.send_window;
  // Omitted: the server's MA_QUIET_HOURS; null: none for this campaign.
  if (values.quiet_mode === "off") body.quiet_hours = null;
  if (values.quiet_mode === "custom" && values.quiet_hours) body.quiet_hours = values.quiet_hours;
  if (values.timezone?.trim()) body.timezone = values.timezone.trim();
  if (values.recurrence?.trim()) {
    body.recurrence = values.recurrence.trim();
    const until = toInstant(values.recurrence_until);
    if (until) body.recurrence_until = until;
    if (values.recurrence_max_runs) body.recurrence_max_runs = values.recurrence_max_runs;
  }
  return body;
}

const HHMM = { pattern: /^([01]\d|2[0-3]):[0-5]\d$/, message: "HH:MM, 24-hour" };

function WindowInputs({ name, label }: { name: "send_window" | "quiet_hours"; label: string }) {
  return (
    <Flex gap={12}>
      <Form.Item label={`${label} from`} name={[name, "start"]} rules={[{ required: true, message: "Pick a time" }, HHMM]} style={{ flex: 1 }}>
        <Input type="time" />
      </Form.Item>
      <Form.Item label={`${label} until`} name={[name, "end"]} rules={[{ required: true, message: "Pick a time" }, HHMM]} style={{ flex: 1 }}>
        <Input type="time" />
      </Form.Item>
    </Flex>
  );
}

export function ScheduleFields() {
  const form = Form.useFormInstance();
  const windowOn = Form.useWatch("send_window_on", form) ?? false;
  const quietMode: QuietMode = Form.useWatch("quiet_mode", form) ?? "default";
  const recurrence: string = Form.useWatch("recurrence", form) ?? "";
  return (
    <>
      <Form.Item label="Start at" name="start_at" extra="In your browser's time. Empty: sending starts as soon as it is approved.">
        <Input type="datetime-local" />
      </Form.Item>
      <Form.Item
        label="Only send within a daily window"
        name="send_window_on"
        valuePropName="checked"
        extra="In each contact's local time. Off: any time of day."
      >
        <Switch />
      </Form.Item>
      {windowOn && <WindowInputs name="send_window" label="Send window" />}
      <Form.Item label="Quiet hours" name="quiet_mode" extra="Local hours when nothing is sent.">
        <Select
          options={[
            { value: "default", label: "Server default (MA_QUIET_HOURS)" },
            { value: "custom", label: "Custom for this campaign" },
            { value: "off", label: "None for this campaign" },
          ]}
        />
      </Form.Item>
      {quietMode === "custom" && <WindowInputs name="quiet_hours" label="Quiet hours" />}
      <Form.Item
        label="Time zone"
        name="timezone"
        extra="IANA zone for contacts without one, and of the recurrence. Empty: the server's default (MA_DEFAULT_TIMEZONE)."
      >
        <AutoComplete
          allowClear
          placeholder={`e.g. ${BROWSER_ZONE}`}
          options={ZONES.map((zone) => ({ value: zone }))}
          filterOption={(input, option) => (option?.value ?? "").toLowerCase().includes(input.toLowerCase())}
        />
      </Form.Item>
      <Form.Item
        label="Repeat (cron)"
        name="recurrence"
        extra="minute hour day month weekday, e.g. 0 9 * * MON for Mondays at 09:00. Each run becomes a campaign of its own. Empty: runs once."
      >
        <Input placeholder="0 9 * * MON" maxLength={128} spellCheck={false} />
      </Form.Item>
      {recurrence.trim() !== "" && (
        <Flex gap={12}>
          <Form.Item label="Repeat until" name="recurrence_until" style={{ flex: 1 }}>
            <Input type="datetime-local" />
          </Form.Item>
          <Form.Item label="At most (runs)" name="recurrence_max_runs" style={{ flex: 1 }}>
            <InputNumber min={1} max={10000} precision={0} style={{ width: "100%" }} />
          </Form.Item>
        </Flex>
      )}
    </>
  );
}
