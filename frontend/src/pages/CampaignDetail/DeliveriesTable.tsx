/** Who got which variant and what became of it: the campaign's deliveries, paged and filtered by status
 * (kept in the URL), with a CSV export. */
import { DownloadOutlined } from "@ant-design/icons";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Card, Flex, Select, Table, Tag, Typography } from "antd";
import type { TableProps } from "antd";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";

import { api, unwrap } from "../../api/client";
import type { Delivery } from "../../api/types";
import { formatDateTime } from "../../components/format";
import { PermittedButton } from "../../components/Permitted";
import { useNotifyProblem } from "../../components/useNotifyProblem";

const STATUSES = ["queued", "sending", "sent", "failed", "skipped", "dead", "in_doubt"] as const;
type DeliveryStatus = (typeof STATUSES)[number];
const PAGE_SIZE = 25;

const columns: TableProps<Delivery>["columns"] = [
  {
    title: "Contact",
    dataIndex: "contact_id",
    // The name and username as the role may see them (masked without personal_data:read).
    render: (id: number, d) => (
      <>
        <Link to={`/contacts/${id}`}>{d.contact_first_name || (d.contact_username ? `@${d.contact_username}` : `Contact ${id}`)}</Link>
        {d.contact_first_name && d.contact_username ? <Typography.Text type="secondary"> @{d.contact_username}</Typography.Text> : null}
      </>
    ),
  },
  { title: "Variant", dataIndex: "variant_key" },
  { title: "Status", dataIndex: "status", render: (s: string) => <Tag>{s}</Tag> },
  { title: "Reason", dataIndex: "reason", render: (r: string | null) => (r ? r.replaceAll("_", " ") : "—") },
  { title: "Attempts", dataIndex: "attempts", align: "right" },
  { title: "Sent", dataIndex: "sent_at", render: (iso: string | null) => formatDateTime(iso) },
];

async function downloadCsv(campaignId: number): Promise<void> {
  const blob = await unwrap(
    api.GET("/api/v1/orchestrator/campaigns/{campaign_id}/deliveries/export", {
      params: { path: { campaign_id: campaignId } },
      parseAs: "blob",
    }),
  );
  const url = URL.createObjectURL(blob as Blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = `campaign-${campaignId}-deliveries.csv`;
  link.click();
  URL.revokeObjectURL(url);
}

export function DeliveriesTable({ campaignId }: { campaignId: number }) {
  const [params, setParams] = useSearchParams();
  const status = (params.get("delivery_status") ?? undefined) as DeliveryStatus | undefined;
  const page = Math.max(1, Number(params.get("delivery_page")) || 1);
  const [exporting, setExporting] = useState(false);
  const notifyProblem = useNotifyProblem();
  const deliveries = useQuery({
    queryKey: ["results", campaignId, "deliveries", { status, page }],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/orchestrator/campaigns/{campaign_id}/deliveries", {
          params: { path: { campaign_id: campaignId }, query: { status, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE } },
        }),
      ),
    placeholderData: keepPreviousData,
  });

  const update = (values: Record<string, string | undefined>) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        for (const [k, v] of Object.entries(values)) {
          if (v) next.set(k, v);
          else next.delete(k);
        }
        return next;
      },
      { replace: true },
    );

  return (
    <Card
      title="Deliveries"
      styles={{ body: { padding: 0 } }}
      extra={
        <Flex gap={8} wrap>
          <Select<DeliveryStatus>
            aria-label="Filter deliveries by status"
            allowClear
            placeholder="All statuses"
            style={{ width: 150 }}
            value={status}
            onChange={(value) => update({ delivery_status: value, delivery_page: undefined })}
            options={STATUSES.map((s) => ({ value: s, label: s }))}
          />
          <PermittedButton
            permission="contacts:write"
            icon={<DownloadOutlined aria-hidden />}
            loading={exporting}
            onClick={() => {
              setExporting(true);
              downloadCsv(campaignId)
                .catch(notifyProblem)
                .finally(() => setExporting(false));
            }}
          >
            Export CSV
          </PermittedButton>
        </Flex>
      }
    >
      <section aria-label="Deliveries">
        <Table<Delivery>
          rowKey="id"
          size="small"
          columns={columns}
          dataSource={deliveries.data?.items ?? []}
          loading={deliveries.isLoading}
          scroll={{ x: "max-content" }}
          pagination={{
            current: page,
            pageSize: PAGE_SIZE,
            total: deliveries.data?.total ?? 0,
            showSizeChanger: false,
            hideOnSinglePage: true,
            onChange: (next) => update({ delivery_page: next > 1 ? String(next) : undefined }),
          }}
          locale={{ emptyText: "No deliveries yet: they are written when sending starts." }}
        />
      </section>
    </Card>
  );
}
