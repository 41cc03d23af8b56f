/**
 * CSV import in three steps: choose the file (and the sender the consents were given to), check the
 * preview (column mapping, first rows, every error row by row), import all or only the valid rows.
 */
import { InboxOutlined } from "@ant-design/icons";
import { Alert, Button, Descriptions, Drawer, Flex, Form, Input, Result, Select, Space, Table, Tag, Typography, Upload } from "antd";
import { useState } from "react";

import { type LawfulBasis, useImportContacts, useImportPreview } from "../../api/admin";
import { useSenders } from "../../api/directory";
import type { FieldError } from "../../api/problem";
import type { ImportPreview, ImportResult } from "../../api/types";
import { formatCount } from "../../components/format";
import { ProblemAlert } from "../../components/ProblemAlert";

const LAWFUL_BASES: LawfulBasis[] = [
  "consent",
  "legitimate_interests",
  "contract",
  "legal_obligation",
  "vital_interests",
  "public_task",
];

interface RowError {
  key: string;
  row: string;
  column: string;
  problem: string;
}

function rowErrors(errors: FieldError[]): RowError[] {
  return errors.map((e, i) => {
    const loc = e.loc ?? [];
    const inRow = loc[1] === "rows";
    return {
      key: String(i),
      row: inRow ? String(loc[2]) : "—",
      column: inRow ? String(loc[3] ?? "") : String(loc[loc.length - 1] ?? "file"),
      problem: e.msg,
    };
  });
}

export function ImportDrawer({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [senderId, setSenderId] = useState<number | undefined>(undefined);
  const [lawfulBasis, setLawfulBasis] = useState<LawfulBasis | undefined>("consent");
  const [evidence, setEvidence] = useState("");
  const [result, setResult] = useState<ImportResult | null>(null);
  const senders = useSenders();
  const preview = useImportPreview();
  const importer = useImportContacts();
  const data: ImportPreview | undefined = preview.data;

  const reset = () => {
    setFile(null);
    setResult(null);
    preview.reset();
    importer.reset();
  };

  const check = (chosen: File, sender: number | undefined, basis: LawfulBasis | undefined = lawfulBasis) =>
    preview.mutate({ file: chosen, senderId: sender, lawfulBasis: basis });

  const runImport = (validOnly: boolean) => {
    if (!file) return;
    importer.mutate({ file, senderId, validOnly, lawfulBasis, evidence }, { onSuccess: setResult });
  };

  const errors = rowErrors((data?.errors ?? []) as unknown as FieldError[]);
  const sampleColumns = (data?.columns ?? []).map((c) => ({ title: c.name, dataIndex: c.name, key: c.name }));

  return (
    <Drawer
      title="Import contacts"
      open={open}
      size={Math.min(880, window.innerWidth)}
      onClose={() => {
        reset();
        onClose();
      }}
      destroyOnHidden
    >
      {result ? (
        <Result
          status="success"
          title="Import finished"
          subTitle={
            <section aria-label="Import result">
              {formatCount(result.created)} created, {formatCount(result.updated)} updated,{" "}
              {formatCount(result.consents_recorded)} consents recorded
              {result.skipped_rows ? `, ${formatCount(result.skipped_rows)} invalid rows left out` : ""}.
              {result.import_batch_id != null && ` Kept as evidence: import batch ${result.import_batch_id}.`}
            </section>
          }
          extra={
            <Button type="primary" onClick={reset}>
              Import another file
            </Button>
          }
        />
      ) : (
        <Space orientation="vertical" size={16} style={{ width: "100%" }}>
          <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
            Columns: <Typography.Text code>telegram_id</Typography.Text> (required), username, first_name, language,
            timezone, tags (separated by ;), consent_at, consent_proof, lawful_basis and consent_text_version; any other
            column becomes an attribute. A row with consent_at needs a lawful basis: its own or the file&apos;s.
          </Typography.Paragraph>
          <Form layout="vertical">
            <Form.Item label="Consent was given to" htmlFor="import-sender" extra="Needed when the file has consent_at values.">
              <Select<number>
                id="import-sender"
                allowClear
                placeholder="Choose the sender"
                value={senderId}
                onChange={(value) => {
                  setSenderId(value);
                  if (file) check(file, value);
                }}
                options={(senders.data ?? []).map((s) => ({ value: s.id, label: s.name }))}
              />
            </Form.Item>
            <Form.Item
              label="Lawful basis of the consents"
              htmlFor="import-basis"
              extra="For rows without a lawful_basis column of their own (GDPR art. 6(1))."
            >
              <Select<LawfulBasis>
                id="import-basis"
                allowClear
                placeholder="None: every consent row names its own"
                value={lawfulBasis}
                onChange={(value) => {
                  setLawfulBasis(value);
                  if (file) check(file, senderId, value);
                }}
                options={LAWFUL_BASES.map((b) => ({ value: b, label: b.replace(/_/g, " ") }))}
              />
            </Form.Item>
            <Form.Item label="Where the consents were collected" htmlFor="import-evidence" extra="Kept with the file's hash as the import's evidence.">
              <Input id="import-evidence" maxLength={1000} value={evidence} onChange={(e) => setEvidence(e.target.value)} />
            </Form.Item>
          </Form>
          <Upload.Dragger
            accept=".csv,text/csv"
            maxCount={1}
            showUploadList={false}
            beforeUpload={(chosen) => {
              setFile(chosen);
              check(chosen, senderId);
              return false;
            }}
          >
            <p className="ant-upload-drag-icon">
              <InboxOutlined aria-hidden />
            </p>
            <p>{file ? `${file.name}: choose another file` : "Choose a CSV file or drop it here"}</p>
          </Upload.Dragger>
          <ProblemAlert error={preview.error} />
          {data && (
            <>
              <Descriptions
                size="small"
                column={{ xs: 1, sm: 3 }}
                items={[
                  { key: "rows", label: "Rows", children: formatCount(data.rows) },
                  { key: "valid", label: "Valid rows", children: formatCount(data.valid_rows) },
                  { key: "errors", label: "Problems", children: formatCount(data.errors.length) },
                ]}
              />
              <section aria-label="Column mapping">
                <Typography.Title level={5}>Column mapping</Typography.Title>
                <Flex gap={6} wrap>
                  {data.columns.map((c) => (
                    <Tag key={c.name} color={c.maps_to === "attribute" ? "purple" : "blue"}>
                      {c.name} → {c.maps_to}
                    </Tag>
                  ))}
                </Flex>
              </section>
              <section aria-label="First rows">
                <Typography.Title level={5}>First rows</Typography.Title>
                <Table
                  size="small"
                  rowKey={(_, i) => String(i)}
                  columns={sampleColumns}
                  dataSource={data.sample}
                  pagination={false}
                  scroll={{ x: "max-content" }}
                />
              </section>
              {errors.length > 0 && (
                <section aria-label="Problems in the file">
                  <Typography.Title level={5}>Problems in the file</Typography.Title>
                  <Table<RowError>
                    size="small"
                    rowKey="key"
                    columns={[
                      { title: "Row", dataIndex: "row" },
                      { title: "Column", dataIndex: "column" },
                      { title: "Problem", dataIndex: "problem" },
                    ]}
                    dataSource={errors}
                    pagination={{ pageSize: 20, hideOnSinglePage: true }}
                  />
                </section>
              )}
              <ProblemAlert error={importer.error} />
              {errors.length === 0 ? (
                <Button type="primary" loading={importer.isPending} onClick={() => runImport(false)}>
                  Import {formatCount(data.rows)} rows
                </Button>
              ) : data.valid_rows > 0 ? (
                <Space orientation="vertical">
                  <Alert
                    type="warning"
                    showIcon
                    title="Nothing is imported from a row with a problem"
                    description="Fix the file and choose it again, or import the valid rows only: each of them is imported whole."
                  />
                  <Button type="primary" loading={importer.isPending} onClick={() => runImport(true)}>
                    Import the {formatCount(data.valid_rows)} valid rows only
                  </Button>
                </Space>
              ) : (
                <Alert type="error" showIcon title="No row can be imported: fix the file and choose it again." />
              )}
            </>
          )}
        </Space>
      )}
    </Drawer>
  );
}
