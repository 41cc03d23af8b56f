/** Queries and mutations of the Privacy page: data-subject requests, erasure, suppression, records
 * of processing, retention, the privacy scanner, unmasking and the verifiable audit export. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "./client";
import type { paths } from "./schema";

type JsonOf<R> = R extends { content: { "application/json": infer T } } ? T : never;
type Ok<Op> = Op extends { responses: { 200: infer R } }
  ? JsonOf<R>
  : Op extends { responses: { 201: infer R } }
    ? JsonOf<R>
    : never;
type BodyOf<Op> = Op extends { requestBody?: { content: { "application/json": infer T } } } ? T : never;

export type PrivacyRequest = Ok<paths["/api/v1/compliance/requests"]["get"]>[number];
export type PrivacyRequestCreate = BodyOf<paths["/api/v1/compliance/requests"]["post"]>;
export type RequestKind = PrivacyRequest["kind"];
export type ErasureResult = Ok<paths["/api/v1/compliance/erasures"]["post"]>;
export type ProcessingRecords = Ok<paths["/api/v1/compliance/processing-records"]["get"]>;
export type ProcessingRecord = ProcessingRecords["records"][number];
export type RetentionStatus = Ok<paths["/api/v1/compliance/retention"]["get"]>;
export type PrivacyScan = Ok<paths["/api/v1/compliance/privacy-scan"]["get"]>;
export type PrivacyFinding = PrivacyScan["findings"][number];
export type RedactionTarget = BodyOf<paths["/api/v1/compliance/privacy-scan/redact"]["post"]>["targets"][number];
export type UnmaskedContact = Ok<paths["/api/v1/compliance/contacts/{contact_id}/unmask"]["post"]>;
export type AuditCheck = Ok<paths["/api/v1/compliance/audit/verify-export"]["post"]>;

export const privacyKeys = {
  requests: ["privacy", "requests"] as const,
  processing: ["privacy", "processing"] as const,
  retention: ["privacy", "retention"] as const,
  suppressions: ["privacy", "suppressions"] as const,
};

export function usePrivacyRequests() {
  return useQuery({
    queryKey: privacyKeys.requests,
    queryFn: () => unwrap(api.GET("/api/v1/compliance/requests")),
    refetchInterval: 10_000,
  });
}

function useRequestMutation<T>(call: (arg: T) => Promise<unknown>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: call,
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ["privacy"] });
      void client.invalidateQueries({ queryKey: ["contacts"] });
    },
  });
}

export function useCreateRequest() {
  return useRequestMutation((body: PrivacyRequestCreate) => unwrap(api.POST("/api/v1/compliance/requests", { body })));
}

export function useVerifyRequest() {
  return useRequestMutation(({ id, method }: { id: number; method: string }) =>
    unwrap(api.POST("/api/v1/compliance/requests/{request_id}/verify", { params: { path: { request_id: id } }, body: { method } })),
  );
}

export function useCompleteRequest() {
  return useRequestMutation((id: number) =>
    unwrap(api.POST("/api/v1/compliance/requests/{request_id}/complete", { params: { path: { request_id: id } } })),
  );
}

export function useExtendRequest() {
  return useRequestMutation(({ id, reason }: { id: number; reason: string }) =>
    unwrap(api.POST("/api/v1/compliance/requests/{request_id}/extend", { params: { path: { request_id: id } }, body: { reason } })),
  );
}

export function useRejectRequest() {
  return useRequestMutation(({ id, reason }: { id: number; reason: string }) =>
    unwrap(api.POST("/api/v1/compliance/requests/{request_id}/reject", { params: { path: { request_id: id } }, body: { reason } })),
  );
}

export function useErase() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (contactId: number) => unwrap(api.POST("/api/v1/compliance/erasures", { body: { contact_id: contactId } })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ["privacy"] });
      void client.invalidateQueries({ queryKey: ["contacts"] });
    },
  });
}

export function useSuppressionCount() {
  return useQuery({ queryKey: privacyKeys.suppressions, queryFn: () => unwrap(api.GET("/api/v1/compliance/suppressions")) });
}

export function useCheckSuppression() {
  return useMutation({
    mutationFn: (telegramId: number) =>
      unwrap(api.POST("/api/v1/compliance/suppressions/check", { body: { telegram_id: telegramId } })),
  });
}

export function useProcessingRecords() {
  return useQuery({ queryKey: privacyKeys.processing, queryFn: () => unwrap(api.GET("/api/v1/compliance/processing-records")) });
}

export function useRetention() {
  return useQuery({ queryKey: privacyKeys.retention, queryFn: () => unwrap(api.GET("/api/v1/compliance/retention")) });
}

export function useRunRetention() {
  return useRequestMutation(() => unwrap(api.POST("/api/v1/compliance/retention/purge")));
}

export function useScan() {
  return useMutation({ mutationFn: () => unwrap(api.GET("/api/v1/compliance/privacy-scan")) });
}

export function useRedact() {
  return useMutation({
    mutationFn: (targets: RedactionTarget[]) => unwrap(api.POST("/api/v1/compliance/privacy-scan/redact", { body: { targets } })),
  });
}

export function useUnmask() {
  return useMutation({
    mutationFn: ({ contactId, reason }: { contactId: number; reason: string }) =>
      unwrap(
        api.POST("/api/v1/compliance/contacts/{contact_id}/unmask", {
          params: { path: { contact_id: contactId } },
          body: { reason },
        }),
      ),
  });
}

function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.click();
  URL.revokeObjectURL(url);
}

/** Download the audit log as JSON lines (its head last) through the authenticated client. */
export async function downloadAuditExport(): Promise<void> {
  const blob = await unwrap(api.GET("/api/v1/compliance/audit/export", { parseAs: "blob" }));
  saveBlob(blob as Blob, "audit-log.jsonl");
}

/** Download a completed access request's export as JSON. */
export async function downloadRequestExport(id: number): Promise<void> {
  const blob = await unwrap(
    api.GET("/api/v1/compliance/requests/{request_id}/export", { params: { path: { request_id: id } }, parseAs: "blob" }),
  );
  saveBlob(blob as Blob, `subject-export-${id}.json`);
}

export function useVerifyExport() {
  return useMutation({
    mutationFn: (file: File) =>
      unwrap(
        api.POST("/api/v1/compliance/audit/verify-export", {
          body: { file: "" },
          bodySerializer: () => {
            const form = new FormData();
            form.append("file", file);
            return form;
          },
        }),
      ),
  });
}
