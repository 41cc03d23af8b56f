/** Queries and mutations of the dashboard, contacts, import/export, segments, audit log and API keys. */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "./client";
import type { SegmentFilter } from "./types";

export const adminKeys = {
  overview: ["overview"] as const,
  contacts: ["contacts"] as const,
  contactList: (query: object) => ["contacts", "list", query] as const,
  contact: (id: number) => ["contacts", "detail", id] as const,
  segmentPreview: (filter: SegmentFilter) => ["segments", "preview", filter] as const,
  audit: (query: object) => ["audit", query] as const,
  auditVerify: ["audit", "verify"] as const,
  apiKeys: ["api-keys"] as const,
};

export function useOverview() {
  return useQuery({
    queryKey: adminKeys.overview,
    queryFn: () => unwrap(api.GET("/api/v1/orchestrator/overview")),
    refetchInterval: 5_000,
  });
}

export function useContactList(query: {
  q?: string;
  tag?: string;
  consent?: "granted" | "withdrawn" | "none";
  language?: string;
  limit: number;
  offset: number;
}) {
  return useQuery({
    queryKey: adminKeys.contactList(query),
    queryFn: () => unwrap(api.GET("/api/v1/orchestrator/contacts", { params: { query } })),
    placeholderData: keepPreviousData,
  });
}

export function useContact(id: number) {
  return useQuery({
    queryKey: adminKeys.contact(id),
    queryFn: () => unwrap(api.GET("/api/v1/orchestrator/contacts/{contact_id}", { params: { path: { contact_id: id } } })),
  });
}

export function useUpdateContactTags(id: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (tags: string[]) =>
      unwrap(api.PATCH("/api/v1/orchestrator/contacts/{contact_id}", { params: { path: { contact_id: id } }, body: { tags } })),
    onSuccess: (detail) => {
      client.setQueryData(adminKeys.contact(id), detail);
      void client.invalidateQueries({ queryKey: adminKeys.contacts });
      void client.invalidateQueries({ queryKey: ["segments"] });
    },
  });
}

export function useUnsubscribe(id: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/v1/orchestrator/contacts/{contact_id}/unsubscribe", { params: { path: { contact_id: id } } })),
    onSuccess: (detail) => {
      client.setQueryData(adminKeys.contact(id), detail);
      void client.invalidateQueries({ queryKey: adminKeys.contacts });
    },
  });
}

/** GDPR art. 6(1) bases a consent may rest on (compliance.LawfulBasis). */
export type LawfulBasis =
  | "consent"
  | "contract"
  | "legal_obligation"
  | "vital_interests"
  | "public_task"
  | "legitimate_interests";

function asForm(file: File): FormData {
  const form = new FormData();
  form.append("file", file);
  return form;
}

export function useImportPreview() {
  return useMutation({
    mutationFn: ({ file, senderId, lawfulBasis }: { file: File; senderId?: number; lawfulBasis?: LawfulBasis }) =>
      unwrap(
        api.POST("/api/v1/orchestrator/contacts/import/preview", {
          params: { query: { sender_id: senderId, lawful_basis: lawfulBasis } },
          body: { file: "" },
          bodySerializer: () => asForm(file),
        }),
      ),
  });
}

export function useImportContacts() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({
      file,
      senderId,
      validOnly,
      lawfulBasis,
      evidence,
    }: {
      file: File;
      senderId?: number;
      validOnly: boolean;
      lawfulBasis?: LawfulBasis;
      evidence?: string;
    }) =>
      unwrap(
        api.POST("/api/v1/orchestrator/contacts/import", {
          params: {
            query: { sender_id: senderId, valid_only: validOnly, lawful_basis: lawfulBasis, evidence: evidence || undefined },
          },
          body: { file: "" },
          bodySerializer: () => asForm(file),
        }),
      ),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: adminKeys.contacts });
      void client.invalidateQueries({ queryKey: ["segments"] });
    },
  });
}

/** Download every contact as CSV through the authenticated client. */
export async function downloadContactsCsv(): Promise<void> {
  const blob = await unwrap(api.GET("/api/v1/orchestrator/contacts/export", { parseAs: "blob" }));
  const url = URL.createObjectURL(blob as Blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = "contacts.csv";
  link.click();
  URL.revokeObjectURL(url);
}

export function useSegmentPreview(filter: SegmentFilter, enabled: boolean) {
  return useQuery({
    queryKey: adminKeys.segmentPreview(filter),
    queryFn: () => unwrap(api.POST("/api/v1/orchestrator/segments/preview", { body: filter })),
    placeholderData: keepPreviousData,
    enabled,
  });
}

export function useSaveSegment() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, name, filter }: { id?: number; name: string; filter: SegmentFilter }) =>
      id === undefined
        ? unwrap(api.POST("/api/v1/orchestrator/segments", { body: { name, filter } }))
        : unwrap(api.PATCH("/api/v1/orchestrator/segments/{segment_id}", { params: { path: { segment_id: id } }, body: { name, filter } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["segments"] }),
  });
}

/** Counts a segment's contacts now (the list shows sizes as last counted). */
export function useRecountSegment() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) =>
      unwrap(api.POST("/api/v1/orchestrator/segments/{segment_id}/count", { params: { path: { segment_id: id } } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["segments"] }),
  });
}

export function useDeleteSegment() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (id: number) => {
      const { error, response } = await api.DELETE("/api/v1/orchestrator/segments/{segment_id}", {
        params: { path: { segment_id: id } },
      });
      if (!response.ok) await unwrap(Promise.resolve({ error: error ?? {}, response }));
    },
    onSuccess: () => void client.invalidateQueries({ queryKey: ["segments"] }),
  });
}

export function useAudit(query: {
  limit: number;
  offset: number;
  entity_type?: string;
  entity_id?: string;
  actor?: string;
  action?: string;
  q?: string;
}) {
  return useQuery({
    queryKey: adminKeys.audit(query),
    queryFn: () => unwrap(api.GET("/api/v1/compliance/audit", { params: { query } })),
    placeholderData: keepPreviousData,
  });
}

export function useVerifyAudit() {
  return useMutation({ mutationFn: () => unwrap(api.GET("/api/v1/compliance/audit/verify")) });
}

export function useApiKeys() {
  return useQuery({ queryKey: adminKeys.apiKeys, queryFn: () => unwrap(api.GET("/api/v1/auth/api-keys")) });
}

export function useCreateApiKey() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => unwrap(api.POST("/api/v1/auth/api-keys", { body: { name } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: adminKeys.apiKeys }),
  });
}

export function useRevokeApiKey() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => unwrap(api.DELETE("/api/v1/auth/api-keys/{key_id}", { params: { path: { key_id: id } } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: adminKeys.apiKeys }),
  });
}
