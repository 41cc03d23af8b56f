/** A labelled search field bound to the URL's `q`: typing updates the list after a short pause. */
import { Input } from "antd";
import { useEffect, useState } from "react";

import type { UrlTableState } from "./useUrlState";

export function SearchBox({ table, label, placeholder }: { table: UrlTableState; label: string; placeholder?: string }) {
  const [text, setText] = useState(table.q);
  useEffect(() => setText(table.q), [table.q]);
  useEffect(() => {
    if (text === table.q) return;
    const timer = window.setTimeout(() => table.set({ q: text.trim() || undefined }), 300);
    return () => window.clearTimeout(timer);
  }, [text, table]);
  return (
    <Input.Search
      aria-label={label}
      placeholder={placeholder ?? label}
      allowClear
      value={text}
      onChange={(event) => setText(event.target.value)}
      onSearch={(value) => table.set({ q: value.trim() || undefined })}
      style={{ width: "min(320px, 100%)" }}
    />
  );
}
