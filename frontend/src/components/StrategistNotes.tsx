/** The strategist's notes on the variants it wrote, where a marketer reads them before sending. */
import { Alert } from "antd";

/** What the strategist said about the variants it wrote: a rewrite, words it could not translate. */
export function StrategistNotes({ notes }: { notes: string[] }) {
  const worth = notes.filter((note) => !note.startsWith("Produced offline from templates"));
  if (worth.length === 0) return null;
  return (
    <Alert
      type="warning"
      showIcon
      role="status"
      title="The strategist's notes"
      description={
        <ul style={{ margin: 0, paddingInlineStart: 18 }}>
          {worth.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      }
      style={{ marginBottom: 16 }}
    />
  );
}
