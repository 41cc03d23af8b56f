/**
 * Table state kept in the URL (search, filters, sort, page), so a filtered list can be bookmarked,
 * shared and restored with Back. Every page's table uses it.
 */
import type { SorterResult } from "antd/es/table/interface";
import { useCallback } from "react";
import { useSearchParams } from "react-router";

export interface UrlTableState {
  page: number;
  pageSize: number;
  offset: number;
  q: string;
  sort: string | undefined;
  get: (name: string) => string | undefined;
  /** Set (or clear, with undefined/"") URL parameters; the page goes back to 1 unless it is set. */
  set: (values: Record<string, string | number | undefined>) => void;
  /** antd's "sortOrder" of a column whose sort key is `key`. */
  sortOrder: (key: string) => "ascend" | "descend" | null;
  /** Feed antd's Table onChange sorter here: column keys are the API's sort keys. */
  onSort: (sorter: SorterResult<unknown> | SorterResult<unknown>[]) => void;
}

export function useUrlTable(defaultPageSize = 20): UrlTableState {
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get("page")) || 1);
  const pageSize = Math.min(200, Math.max(1, Number(params.get("size")) || defaultPageSize));
  const sort = params.get("sort") ?? undefined;

  const set = useCallback(
    (values: Record<string, string | number | undefined>) => {
      setParams(
        (current) => {
          const next = new URLSearchParams(current);
          if (!("page" in values)) next.delete("page");
          for (const [name, value] of Object.entries(values)) {
            if (value === undefined || value === "" || (name === "page" && value === 1)) next.delete(name);
            else next.set(name, String(value));
          }
          return next;
        },
        { replace: true },
      );
    },
    [setParams],
  );

  return {
    page,
    pageSize,
    offset: (page - 1) * pageSize,
    q: params.get("q") ?? "",
    sort,
    get: (name) => params.get(name) ?? undefined,
    set,
    sortOrder: (key) => (sort === key ? "ascend" : sort === `-${key}` ? "descend" : null),
    onSort: (sorter) => {
      const one = Array.isArray(sorter) ? sorter[0] : sorter;
      const key = one?.columnKey ? String(one.columnKey) : undefined;
      if (!key || !one?.order) set({ sort: undefined });
      else set({ sort: one.order === "descend" ? `-${key}` : key });
    },
  };
}
